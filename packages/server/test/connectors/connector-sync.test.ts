import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '@tally/protocol';
import { readBuckets } from '../../src/connectors/billing-bucket-store.js';
import { CONNECTOR_KEY_FILE } from '../../src/connectors/connector-key-source.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { connectorSyncedAfter, readTestConnector } from '../support/connector-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { FakeAdminApi } from './fake-admin-api-server.js';
import { anthropicCost, anthropicUsage, startFakeAnthropicAdminApi } from './fake-anthropic-admin-api.js';
import { openAiCost, openAiUsage, startFakeOpenAiAdminApi } from './fake-openai-admin-api.js';

/**
 * Connectors through a real node on each engine, against the fake provider APIs: a connector made
 * over the API syncs by itself (backfill of its days), the buckets land in the workspace; "sync
 * now" re-fetches from the day before the last complete one, so today's partial figures are
 * replaced (counted once) after a 429; a refused key shows as the last error; the admin key is
 * never returned nor stored in clear; removing the connector removes its figures.
 */
const DAY_MS = 86_400_000;
const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const dayKey = (daysAgo: number) => new Date(today.getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`connector sync on ${engine.name}`, () => {
    let openai: FakeAdminApi;
    let anthropic: FakeAdminApi;
    let server: TestApp;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let viewer: Awaited<ReturnType<typeof signUp>>;
    let workspaceId: string;

    const view = () => ({ baseUrl: server.baseUrl, owner, workspaceId });
    const connectorOf = (provider: string) => readTestConnector(view(), provider);
    /** Waits for a sync that finished after `after` (ISO), and returns the connector then. */
    const syncedAfter = (provider: string, after: string | null) => connectorSyncedAfter(view(), provider, after);

    beforeAll(async () => {
      [openai, anthropic] = await Promise.all([startFakeOpenAiAdminApi(), startFakeAnthropicAdminApi()]);
      openai.keys.add('sk-admin-good-OAI1');
      openai.pageSize = 2;
      for (const ago of [3, 2, 1, 0]) {
        openai.usage.set(dayKey(ago), [openAiUsage({ model: 'gpt-4o', input: 1000 * (ago + 1), cached: 100, output: 10, requests: 2, projectId: 'proj_a' })]);
        openai.costs.set(dayKey(ago), [openAiCost({ usd: 0.5 * (ago + 1), lineItem: 'gpt-4o, input', projectId: 'proj_a' })]);
      }
      anthropic.keys.add('sk-ant-admin-good');
      anthropic.usage.set(dayKey(1), [anthropicUsage({ model: 'claude-sonnet-4-5', uncached: 10, output: 5 })]);
      anthropic.costs.set(dayKey(1), [anthropicCost({ cents: '250.5', description: 'Claude Sonnet 4.5 Usage - Input Tokens' })]);
      server = await startTestApp({
        engine,
        env: { TALLY_CONNECTOR_OPENAI_BASE_URL: openai.url, TALLY_CONNECTOR_ANTHROPIC_BASE_URL: anthropic.url, TALLY_CONNECTOR_TICK_MS: '100' },
      });
      owner = await signUp(server.baseUrl, 'conn-owner');
      viewer = await signUp(server.baseUrl, 'conn-viewer');
      workspaceId = await createTeamWorkspace(server.baseUrl, owner, 'Connected');
      await joinWorkspace(server.baseUrl, owner, workspaceId, viewer, 'viewer');
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await openai?.close();
      await anthropic?.close();
    });

    it('syncs a new connector by itself: its backfill days, every page, into the workspace', async () => {
      const put = await rest<Connector & { adminKey?: string }>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/openai`, { token: owner.token, json: { adminKey: 'sk-admin-good-OAI1', backfillDays: 3 } });
      expect(put.status).toBe(201);
      expect(put.body).toMatchObject({ provider: 'openai', keyHint: 'OAI1', backfillDays: 3 });
      expect(JSON.stringify(put.body)).not.toContain('sk-admin-good');
      const synced = await syncedAfter('openai', null);
      expect(synced).toMatchObject({ lastError: null, syncedThrough: today.toISOString() });
      expect(synced.lastSuccessAt).not.toBeNull();

      const usage = await readBuckets(server.app.services.db, workspaceId, { provider: 'openai', kind: 'usage' });
      expect(usage.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.inputTokens, b.cacheReadTokens])).toEqual([
        [dayKey(3), 3900, 100],
        [dayKey(2), 2900, 100],
        [dayKey(1), 1900, 100],
        [dayKey(0), 900, 100],
      ]);
      const costs = await readBuckets(server.app.services.db, workspaceId, { provider: 'openai', kind: 'cost' });
      expect(costs.map((b) => b.costUsd)).toEqual([2, 1.5, 1, 0.5]);
      // A viewer sees the status; nobody sees the key.
      const listed = await rest<{ connectors: Connector[] }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/connectors`, { token: viewer.token });
      expect(listed.body.connectors.map((c) => [c.provider, c.keyHint])).toEqual([['openai', 'OAI1']]);
      expect(JSON.stringify(listed.body)).not.toContain('sk-admin');
    });

    it('"sync now" after a 429 re-fetches from the day before the last complete one: today replaced, counted once', async () => {
      const before = await connectorOf('openai');
      openai.usage.set(dayKey(0), [openAiUsage({ model: 'gpt-4o', input: 5000, cached: 0, output: 70, requests: 9, projectId: 'proj_a' })]);
      openai.costs.set(dayKey(0), [openAiCost({ usd: 3.75, lineItem: 'gpt-4o, input', projectId: 'proj_a' })]);
      openai.scripted.push({ status: 429, retryAfter: '0' });
      openai.requests.length = 0;
      expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/connectors/openai/sync`, { token: owner.token })).status).toBe(202);
      const after = await syncedAfter('openai', before.lastSyncFinishedAt);
      expect(after.lastError).toBeNull();
      expect(openai.requests[0]!.status).toBe(429);
      // From yesterday (the last complete day minus one, synced_through being today 00:00Z).
      const usageCalls = openai.requests.filter((r) => r.path === '/v1/organization/usage/completions' && r.status === 200);
      expect(Number(usageCalls[0]!.query.get('start_time')) * 1000).toBe(today.getTime() - DAY_MS);

      const todays = await readBuckets(server.app.services.db, workspaceId, { provider: 'openai', from: today });
      expect(todays.map((b) => [b.kind, b.inputTokens, b.requests, b.costUsd])).toEqual([
        ['cost', 0, 0, 3.75],
        ['usage', 5000, 9, null],
      ]);
      expect(await readBuckets(server.app.services.db, workspaceId, { provider: 'openai' })).toHaveLength(8);
    });

    it('shows a refused key as the last error, and stores Anthropic cents as dollars once the key is right', async () => {
      const put = await rest<Connector>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/anthropic`, { token: owner.token, json: { adminKey: 'sk-ant-admin-wrong', backfillDays: 2 } });
      expect(put.status).toBe(201);
      const failed = await syncedAfter('anthropic', null);
      expect(failed.lastError).toMatch(/^CONNECTOR_KEY_REJECTED: /);
      expect(failed.lastSuccessAt).toBeNull();
      expect(failed.lastErrorAt).not.toBeNull();

      const replaced = await rest<Connector>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/anthropic`, { token: owner.token, json: { adminKey: 'sk-ant-admin-good' } });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ keyHint: 'good', backfillDays: 2, lastError: null });
      const ok = await syncedAfter('anthropic', failed.lastSyncFinishedAt);
      expect(ok.lastError).toBeNull();
      const costs = await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic', kind: 'cost' });
      expect(costs.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.costUsd])).toEqual([[dayKey(1), 2.505]]);

      // The node's metrics counted both outcomes, by provider only (no workspace or connection ids).
      const metrics = await server.app.services.metrics.registry.metrics();
      expect(metrics).toMatch(/^tally_connector_syncs_total\{provider="anthropic",outcome="failed"\} [1-9]/m);
      expect(metrics).toMatch(/^tally_connector_syncs_total\{provider="anthropic",outcome="ok"\} [1-9]/m);
      expect(metrics).toMatch(/^tally_connector_buckets_stored_total\{provider="anthropic"\} [1-9]/m);
      expect(metrics).toMatch(/^tally_connector_sync_duration_seconds_count\{provider="openai"\} [1-9]/m);
      expect(metrics).not.toContain(workspaceId);
    });

    it('keeps admin keys sealed at rest', async () => {
      const rows = await server.app.services.db.selectFrom('provider_connections').select(['admin_key_ciphertext', 'key_hint']).where('workspace_id', '=', workspaceId).execute();
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.admin_key_ciphertext).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
        expect(row.admin_key_ciphertext).not.toContain('sk-');
      }
      if (engine.name === 'embedded') {
        // The embedded default's key is the test's configured one here; none is written then.
        await expect(fs.stat(path.join(server.app.services.config.dataDir, CONNECTOR_KEY_FILE))).rejects.toThrow();
      }
    });

    it('removing a connector removes its figures; an unknown provider is CONNECTOR_NOT_FOUND', async () => {
      expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${workspaceId}/connectors/anthropic`, { token: owner.token })).status).toBe(204);
      expect(await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic' })).toEqual([]);
      expect((await readBuckets(server.app.services.db, workspaceId, { provider: 'openai' })).length).toBeGreaterThan(0);
      const gone = await rest<{ error: { code: string } }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/connectors/anthropic`, { token: owner.token });
      expect([gone.status, gone.body.error.code]).toEqual([404, 'CONNECTOR_NOT_FOUND']);
      const unknown = await rest<{ error: { code: string } }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/connectors/gemini/sync`, { token: owner.token });
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'CONNECTOR_NOT_FOUND']);
      const audit = await rest<{ events: Array<{ action: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/audit?limit=50`, { token: owner.token });
      expect(audit.body.events.map((e) => e.action)).toEqual(expect.arrayContaining(['connector.created', 'connector.key_replaced', 'connector.sync_requested', 'connector.removed']));
    });
  });
}
