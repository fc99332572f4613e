import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '@tally/protocol';
import { readBuckets } from '../../src/connectors/billing-bucket-store.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace } from '../support/team-workspace.js';
import { connectorSyncedAfter, readTestConnector } from '../support/connector-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { anthropicCost, anthropicUsage } from './fake-anthropic-admin-api.js';
import { analyticsCost, analyticsUsage, startFakeAnthropicApi, type FakeAnthropicApi } from './fake-anthropic-analytics-api.js';

/**
 * The Anthropic connector through a real node on the embedded default (PGlite), against a fake
 * Anthropic API serving the Usage and Cost Analytics API beside the legacy reports: the
 * connector's figures come from the Analytics API (billed cents as dollars, requests once); when
 * the organization loses the Analytics API (404) the next sync reads the legacy reports, and the
 * days it re-fetched hold only the legacy figures, not both.
 */
const DAY_MS = 86_400_000;
const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const dayKey = (daysAgo: number) => new Date(today.getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);
const embedded = engineSetups().find((e) => e.name === 'embedded')!;

describe('Anthropic connector on the Analytics API, then the legacy reports (embedded node)', () => {
  let fake: FakeAnthropicApi;
  let server: TestApp;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let workspaceId: string;

  const view = () => ({ baseUrl: server.baseUrl, owner, workspaceId });
  const connector = () => readTestConnector(view(), 'anthropic');
  const syncedAfter = (after: string | null) => connectorSyncedAfter(view(), 'anthropic', after);

  beforeAll(async () => {
    fake = await startFakeAnthropicApi();
    fake.keys.add('sk-ant-admin-good');
    fake.pageSize = 1;
    for (const ago of [1, 0]) {
      fake.analyticsUsage.set(dayKey(ago), [analyticsUsage({ model: 'claude-sonnet-4-5', uncached: 100, cacheRead: 40, cache5m: 3, cache1h: 2, output: 20, requests: 4, workspaceId: 'wrkspc_1', apiKeyId: 'apikey_1' })]);
      fake.analyticsCosts.set(dayKey(ago), [
        analyticsCost({ cents: '250.5', listCents: '300', costType: 'tokens', tokenType: 'uncached_input_tokens', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
        analyticsCost({ cents: '10', listCents: '10', costType: 'web_search', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
      ]);
      fake.usage.set(dayKey(ago), [anthropicUsage({ model: 'claude-sonnet-4-5', uncached: 100, cacheRead: 40, cache5m: 3, cache1h: 2, output: 20, workspaceId: 'wrkspc_1', apiKeyId: 'apikey_1' })]);
      fake.costs.set(dayKey(ago), [anthropicCost({ cents: '260.5', description: 'Claude Sonnet 4.5 Usage - Input Tokens', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' })]);
    }
    server = await startTestApp({ engine: embedded, env: { TALLY_CONNECTOR_ANTHROPIC_BASE_URL: fake.url, TALLY_CONNECTOR_TICK_MS: '100' } });
    owner = await signUp(server.baseUrl, 'analytics-owner');
    workspaceId = await createTeamWorkspace(server.baseUrl, owner, 'Analytics');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('syncs from the Analytics API: billed cents as dollars, requests once, nothing of the legacy reports', async () => {
    const put = await rest<Connector>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/anthropic`, { token: owner.token, json: { adminKey: 'sk-ant-admin-good', backfillDays: 2 } });
    expect(put.status).toBe(201);
    const synced = await syncedAfter(null);
    expect(synced).toMatchObject({ lastError: null, syncedThrough: today.toISOString() });
    expect(fake.requests.some((r) => r.path === '/v1/organizations/analytics/usage' && r.status === 200 && r.query.has('page'))).toBe(true);
    expect(fake.requests.some((r) => r.path.startsWith('/v1/organizations/usage_report') || r.path === '/v1/organizations/cost_report')).toBe(false);

    const costs = await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic', kind: 'cost' });
    expect(costs.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.lineItem, b.costUsd, b.requests])).toEqual([
      [dayKey(1), 'tokens uncached_input_tokens', 2.505, 0],
      [dayKey(1), 'web_search', 0.1, 0],
      [dayKey(0), 'tokens uncached_input_tokens', 2.505, 0],
      [dayKey(0), 'web_search', 0.1, 0],
    ]);
    const usage = await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic', kind: 'usage' });
    expect(usage.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.requests, b.inputTokens, b.cacheReadTokens, b.cacheWriteTokens, b.outputTokens, b.costUsd])).toEqual([
      [dayKey(1), 4, 100, 40, 5, 20, null],
      [dayKey(0), 4, 100, 40, 5, 20, null],
    ]);
  });

  it('reads the legacy reports once the Analytics API answers 404, and a re-fetched day holds their figures only', async () => {
    const before = await connector();
    fake.analytics = 'absent';
    fake.requests.length = 0;
    expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/connectors/anthropic/sync`, { token: owner.token })).status).toBe(202);
    const after = await syncedAfter(before.lastSyncFinishedAt);
    expect(after.lastError).toBeNull();
    expect(fake.requests.map((r) => [r.path, r.status])[0]).toEqual(['/v1/organizations/analytics/usage', 404]);

    const costs = await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic', kind: 'cost' });
    expect(costs.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.lineItem, b.costUsd])).toEqual([
      [dayKey(1), 'Claude Sonnet 4.5 Usage - Input Tokens', 2.605],
      [dayKey(0), 'Claude Sonnet 4.5 Usage - Input Tokens', 2.605],
    ]);
    const usage = await readBuckets(server.app.services.db, workspaceId, { provider: 'anthropic', kind: 'usage' });
    expect(usage.map((b) => [b.bucketStart.toISOString().slice(0, 10), b.inputTokens, b.outputTokens])).toEqual([
      [dayKey(1), 100, 20],
      [dayKey(0), 100, 20],
    ]);
  });
});
