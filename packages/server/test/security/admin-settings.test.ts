import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, LlmSettings } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm, type FakeLlmRequest } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket } from '../support/ws-test-client.js';
import { auditEvents } from './security-fixtures.js';

const SECRET = 'sk-admin-set-secret-123';
const isTriage = (r: FakeLlmRequest) => !r.stream && 'response_format' in r.body;

/**
 * What admins configure: price overrides (wired to pricing/price-settings.ts) and the LLM (stored,
 * never shown, applied to the next run), and the audit log of it all, page by page.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`admin settings on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let admin: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      llm = await startFakeLlm((r) => (isTriage(r) ? { json: { intent: 'general', models: [], project: null, timeRange: null } } : { text: 'Upload your usage first.' }));
      server = await startTestApp({ engine });
      admin = await signUp(server.baseUrl, 'settings-admin');
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    it('sets, lists and removes a price override, audited', async () => {
      const set = await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'Acme-9', provider: 'acme', inputPerMTok: 1.5, outputPerMTok: 3, cacheReadPerMTok: 0.1 } });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expect(set.body).toMatchObject({ overrides: [{ model: 'acme-9', provider: 'acme', inputPerMTok: 1.5, outputPerMTok: 3, cacheReadPerMTok: 0.1 }] });
      expect((await rest(server.baseUrl, 'GET', '/v1/admin/prices', { token: admin.token })).body).toEqual(set.body);

      const bad = await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'x', inputPerMTok: -1, outputPerMTok: 1 } });
      expect(bad.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      // The override is per provider: without it, there is none to remove.
      expect((await rest(server.baseUrl, 'DELETE', '/v1/admin/prices?model=acme-9', { token: admin.token })).body).toMatchObject({ error: { code: 'PRICE_OVERRIDE_NOT_FOUND' } });
      const removed = await rest(server.baseUrl, 'DELETE', '/v1/admin/prices?model=ACME-9&provider=acme', { token: admin.token });
      expect(removed.status).toBe(200);
      expect(removed.body).toMatchObject({ overrides: [] });

      const events = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === 'price:acme-9@acme');
      expect(events.map((e) => e.action)).toEqual(['admin.price_override_removed', 'admin.price_override_set']);
      expect(events[1]).toMatchObject({ actorId: admin.userId, details: { model: 'Acme-9', inputPerMTok: 1.5 } });
    });

    it('stores the LLM settings without ever showing the key, and the next run uses them', async () => {
      const initial = await rest<LlmSettings>(server.baseUrl, 'GET', '/v1/admin/llm', { token: admin.token });
      expect(initial.body).toEqual({ source: 'environment', provider: 'offline', baseUrl: null, model: null, apiKeySet: false, timeoutMs: 60_000, updatedAt: null });

      for (const json of [{ provider: 'openai-compatible', model: 'm' }, { provider: 'anthropic', model: 'claude' }, { provider: 'anthropic' }, { provider: 'openai-compatible', baseUrl: 'ftp://x', model: 'm' }]) {
        const res = await rest(server.baseUrl, 'PUT', '/v1/admin/llm', { token: admin.token, json });
        expect(res.status, JSON.stringify(json)).toBe(400);
      }
      const put = await rest<LlmSettings>(server.baseUrl, 'PUT', '/v1/admin/llm', {
        token: admin.token,
        json: { provider: 'openai-compatible', baseUrl: llm.url, model: 'admin-chosen-model', apiKey: SECRET, timeoutMs: 5_000 },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body).toMatchObject({ source: 'database', provider: 'openai-compatible', baseUrl: llm.url, model: 'admin-chosen-model', apiKeySet: true, timeoutMs: 5_000 });
      expect(JSON.stringify(put.body)).not.toContain(SECRET);
      // Without apiKey the stored one is kept.
      const kept = await rest<LlmSettings>(server.baseUrl, 'PUT', '/v1/admin/llm', { token: admin.token, json: { provider: 'openai-compatible', baseUrl: llm.url, model: 'admin-chosen-model', timeoutMs: 5_000 } });
      expect(kept.body.apiKeySet).toBe(true);

      const user = await signUp(server.baseUrl, 'settings-user');
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      // A question the rules are not sure of: triage asks the LLM (a certain one would not, and a
      // user with no usage gets the data helper, which asks none).
      const ack = await socket.command('send_message', { text: 'Tell me about my usage' });
      await socket.waitForTerminal((ack['data'] as { runId: string }).runId);
      expect(llm.requests.length).toBeGreaterThan(0);
      expect(llm.requests.every((r) => r.body['model'] === 'admin-chosen-model' && r.headers['authorization'] === `Bearer ${SECRET}`)).toBe(true);

      // Back to the environment (offline): the next run asks no LLM.
      const cleared = await rest<LlmSettings>(server.baseUrl, 'DELETE', '/v1/admin/llm', { token: admin.token });
      expect(cleared.body).toMatchObject({ source: 'environment', provider: 'offline' });
      const before = llm.requests.length;
      const again = await socket.command('send_message', { text: 'And now?' });
      await socket.waitForTerminal((again['data'] as { runId: string }).runId);
      expect(llm.requests.length).toBe(before);
      socket.close();

      const events = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === 'llm');
      expect(events.map((e) => e.action)).toEqual(['admin.llm_settings_cleared', 'admin.llm_settings_changed', 'admin.llm_settings_changed']);
      expect(events[2]).toMatchObject({ details: { provider: 'openai-compatible', model: 'admin-chosen-model', apiKeySet: true, apiKeyChanged: true } });
      expect(events[1]).toMatchObject({ details: { apiKeyChanged: false } });
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });

    it('reads the audit log page by page, newest first', async () => {
      const all = await auditEvents(server.baseUrl, admin.token);
      expect(all.length).toBeGreaterThan(4);
      const first = await rest<AuditPage>(server.baseUrl, 'GET', '/v1/admin/audit?limit=2', { token: admin.token });
      expect(first.body.events.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
      expect(first.body.nextBefore).toBe(all[1]!.id);
      const second = await rest<AuditPage>(server.baseUrl, 'GET', `/v1/admin/audit?limit=2&before=${first.body.nextBefore}`, { token: admin.token });
      expect(second.body.events.map((e) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));
      const last = await rest<AuditPage>(server.baseUrl, 'GET', `/v1/admin/audit?limit=500&before=${all.at(-1)!.id}`, { token: admin.token });
      expect(last.body).toEqual({ events: [], nextBefore: null });
      for (const query of ['limit=0', 'limit=501', 'before=abc', "before=1;drop table users"]) {
        const res = await rest(server.baseUrl, 'GET', `/v1/admin/audit?${query}`, { token: admin.token });
        expect(res.status, query).toBe(400);
      }
    });
  });
}
