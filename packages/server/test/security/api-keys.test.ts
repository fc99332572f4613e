import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, TallyApiError } from '@tally/client';
import { CreatedApiKeySchema, type CreatedApiKey } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { auditEvents } from './security-fixtures.js';

/**
 * API keys: created and revoked by their owner, shown once, stored as a hash; a `usage:write` key
 * uploads usage and nothing else; a `full` key does what its owner does with their data, but no
 * key manages keys; a revoked key is refused; another user's key is not found.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`API keys on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    let owner: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      admin = await signUp(server.baseUrl, 'keys-admin');
      owner = await signUp(server.baseUrl, 'keys-owner');
    });
    afterAll(async () => server?.close());

    const createKey = async (token: string, name: string, scopes: string[]) => {
      const res = await rest(server.baseUrl, 'POST', '/v1/api-keys', { token, json: { name, scopes } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return CreatedApiKeySchema.parse(res.body);
    };

    it('creates a key shown once, lists it without the key, and stores only its sha256', async () => {
      const res = await rest(server.baseUrl, 'POST', '/v1/api-keys', { token: owner.token, json: { name: 'nightly export', scopes: ['usage:write'] } });
      expect(res.status).toBe(201);
      const created = CreatedApiKeySchema.parse(res.body);
      expect(created.key).toMatch(/^tally_[A-Za-z0-9_-]{43}$/);
      expect(created).toMatchObject({ name: 'nightly export', scopes: ['usage:write'], prefix: created.key.slice(0, 14), lastUsedAt: null });

      const list = await rest<{ apiKeys: Array<Record<string, unknown>> }>(server.baseUrl, 'GET', '/v1/api-keys', { token: owner.token });
      expect(list.status).toBe(200);
      const listed = list.body.apiKeys.find((k) => k['id'] === created.id);
      expect(listed).toEqual({ id: created.id, name: 'nightly export', scopes: ['usage:write'], prefix: created.prefix, createdAt: created.createdAt, lastUsedAt: null });
      expect(JSON.stringify(list.body)).not.toContain(created.key);

      const rows = await server.app.services.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.key_hash).toBe(crypto.createHash('sha256').update(created.key).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(created.key.slice(14));
    });

    it('a usage:write key uploads usage, and gets 403 AUTH_SCOPE_DENIED on chat and everything else', async () => {
      const key = await createKey(owner.token, 'ingest only', ['usage:write']);
      const upload = await rest(server.baseUrl, 'POST', '/v1/usage', { token: key.key, body: usageNdjson({ seed: 3, days: 1, requestsPerDay: 5 }) });
      expect(upload.status, JSON.stringify(upload.body)).toBe(200);
      expect(upload.body['inserted']).toBeGreaterThan(0);
      // The records are the owner's.
      const overview = await rest(server.baseUrl, 'GET', '/v1/usage/overview', { token: owner.token });
      expect(overview.body).toMatchObject({ records: expect.any(Number) });
      expect(overview.body['records']).toBeGreaterThanOrEqual(upload.body['inserted'] as number);

      const denied: Array<[string, string, unknown?]> = [
        ['GET', '/v1/threads'],
        ['POST', '/v1/ws-tickets', {}],
        ['GET', '/v1/usage/overview'],
        ['GET', `/v1/runs/${crypto.randomUUID()}`],
        ['GET', '/v1/api-keys'],
        ['POST', '/v1/api-keys', { name: 'more', scopes: ['full'] }],
        ['GET', '/v1/sessions'],
      ];
      for (const [method, path, json] of denied) {
        const res = await rest(server.baseUrl, method, path, { token: key.key, ...(json === undefined ? {} : { json }) });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body, `${method} ${path}`).toMatchObject({ error: { code: 'AUTH_SCOPE_DENIED' } });
      }
      const used = await rest<{ apiKeys: Array<{ id: string; lastUsedAt: string | null }> }>(server.baseUrl, 'GET', '/v1/api-keys', { token: owner.token });
      expect(used.body.apiKeys.find((k) => k.id === key.id)?.lastUsedAt).toEqual(expect.any(String));
    });

    it('a full key reads the owner\'s data and gets WebSocket tickets, but cannot manage keys or administer', async () => {
      const key = await createKey(owner.token, 'full', ['full']);
      expect((await rest(server.baseUrl, 'GET', '/v1/threads', { token: key.key })).status).toBe(200);
      expect((await rest(server.baseUrl, 'GET', '/v1/usage/overview', { token: key.key })).status).toBe(200);
      expect((await rest(server.baseUrl, 'POST', '/v1/ws-tickets', { token: key.key, json: {} })).status).toBe(201);
      const keys = await rest(server.baseUrl, 'GET', '/v1/api-keys', { token: key.key });
      expect(keys.body).toMatchObject({ error: { code: 'AUTH_SCOPE_DENIED' } });
      // An admin's full key is still no way into administration.
      const adminKey = await createKey(admin.token, 'admin full', ['full']);
      const users = await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: adminKey.key });
      expect(users.status).toBe(403);
      expect(users.body).toMatchObject({ error: { code: 'AUTH_SCOPE_DENIED' } });
    });

    it('a revoked key answers 401, and so do unknown and malformed keys', async () => {
      const key = await createKey(owner.token, 'short-lived', ['full']);
      expect((await rest(server.baseUrl, 'GET', '/v1/threads', { token: key.key })).status).toBe(200);
      const revoked = await rest(server.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, { token: owner.token });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ id: key.id, revokedAt: expect.any(String) });
      for (const token of [key.key, `tally_${crypto.randomBytes(32).toString('base64url')}`, 'tally_short']) {
        const res = await rest(server.baseUrl, 'GET', '/v1/threads', { token });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: { code: 'AUTH_INVALID_API_KEY' } });
      }
      const list = await rest<{ apiKeys: Array<{ id: string }> }>(server.baseUrl, 'GET', '/v1/api-keys', { token: owner.token });
      expect(list.body.apiKeys.map((k) => k.id)).not.toContain(key.id);
      // Revoking twice: gone.
      expect((await rest(server.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, { token: owner.token })).body).toMatchObject({ error: { code: 'API_KEY_NOT_FOUND' } });
    });

    it("another user's key id is not found, to list, revoke or guess, and stays usable", async () => {
      const key = await createKey(owner.token, 'mine', ['full']);
      const intruder = await signUp(server.baseUrl, 'keys-intruder');
      for (const id of [key.id, crypto.randomUUID(), 'not-a-uuid']) {
        const res = await rest(server.baseUrl, 'DELETE', `/v1/api-keys/${id}`, { token: intruder.token });
        expect(res.status, id).toBe(404);
        expect(res.body, id).toEqual({ error: { code: 'API_KEY_NOT_FOUND', message: expect.any(String) } });
      }
      const theirs = await rest<{ apiKeys: unknown[] }>(server.baseUrl, 'GET', '/v1/api-keys', { token: intruder.token });
      expect(theirs.body.apiKeys).toEqual([]);
      expect((await rest(server.baseUrl, 'GET', '/v1/threads', { token: key.key })).status).toBe(200);
    });

    it('refuses bad requests: no name, unknown or repeated scopes, no credential', async () => {
      for (const json of [{ name: '', scopes: ['full'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['admin'] }, { name: 'x', scopes: ['full', 'full'] }]) {
        const res = await rest(server.baseUrl, 'POST', '/v1/api-keys', { token: owner.token, json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
      expect((await rest(server.baseUrl, 'GET', '/v1/api-keys')).status).toBe(401);
    });

    it('works through the client SDK, and the key works as the SDK\'s token', async () => {
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => owner.token });
      const created: CreatedApiKey = await client.createApiKey({ name: 'sdk', scopes: ['usage:write'] });
      expect((await client.listApiKeys()).map((k) => k.id)).toContain(created.id);
      const ingest = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => created.key });
      expect((await ingest.uploadUsage(usageNdjson({ seed: 4, days: 1, requestsPerDay: 3 }))).inserted).toBeGreaterThan(0);
      await expect(ingest.listThreads()).rejects.toMatchObject({ status: 403, code: 'AUTH_SCOPE_DENIED' });
      expect(await client.revokeApiKey(created.id)).toMatchObject({ id: created.id });
      const error = await ingest.uploadUsage('{}').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TallyApiError);
      expect(error).toMatchObject({ status: 401, code: 'AUTH_INVALID_API_KEY' });
    });

    it('audits each creation and revocation, with the owner, the key and never the key itself', async () => {
      const key = await createKey(owner.token, 'audited', ['full']);
      await rest(server.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, { token: owner.token });
      const events = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === `api_key:${key.id}`);
      expect(events.map((e) => e.action)).toEqual(['api_key.revoked', 'api_key.created']);
      expect(events[1]).toMatchObject({ actorId: owner.userId, actorEmail: owner.email, details: { name: 'audited', scopes: ['full'], prefix: key.prefix }, ip: expect.any(String) });
      expect(JSON.stringify(events)).not.toContain(key.key);
    });
  });
}
