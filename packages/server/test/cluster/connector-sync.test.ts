import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace } from '../support/team-workspace.js';
import { TEST_CONNECTOR_KEY } from '../support/test-app.js';
import type { FakeAdminApi } from '../connectors/fake-admin-api-server.js';
import { openAiCost, openAiUsage, startFakeOpenAiAdminApi } from '../connectors/fake-openai-admin-api.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;
const DAY_MS = 86_400_000;

/**
 * Two `tally serve` processes on one PostgreSQL, both running the connector scheduler every 50 ms
 * with connections due every second and "sync now" pressed on both at once: each connection is
 * synced by one node at a time (the fake provider never sees two requests of one key in flight,
 * though each sync takes a while: 20 slow pages), and each bucket is stored once whatever the
 * number of syncs (the totals equal what the provider holds).
 */
describe.skipIf(scale.skipReason !== null)(`connector sync across two nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let fake: FakeAdminApi;
  const days = 30;
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

  beforeAll(async () => {
    fake = await startFakeOpenAiAdminApi();
    fake.pageSize = 3;
    fake.delayMs = 60;
    for (let ago = 0; ago <= days; ago++) {
      const day = new Date(today - ago * DAY_MS).toISOString().slice(0, 10);
      fake.usage.set(day, [openAiUsage({ model: 'gpt-4o', input: 100, output: 10, requests: 1 }), openAiUsage({ model: 'gpt-4o-mini', input: 7, output: 1, requests: 1 })]);
      fake.costs.set(day, [openAiCost({ usd: 0.25, lineItem: 'gpt-4o, input' })]);
    }
    fake.keys.add('sk-admin-cluster-A');
    fake.keys.add('sk-admin-cluster-B');
    cluster = await startCluster({
      engine: scale,
      count: 2,
      // tsx start-up on a shared, loaded machine.
      startTimeoutMs: 90_000,
      env: {
        TALLY_CONNECTOR_KEY: TEST_CONNECTOR_KEY,
        TALLY_CONNECTOR_OPENAI_BASE_URL: fake.url,
        TALLY_CONNECTOR_TICK_MS: '50',
        TALLY_CONNECTOR_SYNC_INTERVAL_MS: '1000',
        TALLY_CONNECTOR_LEASE_MS: '3000',
      },
    });
  }, 240_000);
  afterAll(async () => {
    await cluster?.close();
    await fake?.close();
  });

  it('syncs each connection on one node at a time and stores each bucket once', { timeout: 120_000 }, async () => {
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const owner = await signUp(a.url, 'cluster-connector');
    const workspaces = [await createTeamWorkspace(a.url, owner, 'Connected A'), await createTeamWorkspace(a.url, owner, 'Connected B')];
    for (const [i, workspaceId] of workspaces.entries()) {
      const put = await rest(i === 0 ? a.url : b.url, 'PUT', `/v1/workspaces/${workspaceId}/connectors/openai`, { token: owner.token, json: { adminKey: `sk-admin-cluster-${'AB'[i]}`, backfillDays: days } });
      expect(put.status).toBe(201);
    }
    // "Sync now" on both nodes at once, several times, while the scheduled syncs go on.
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        workspaces.flatMap((workspaceId) => [a, b].map((node) => rest(node.url, 'POST', `/v1/workspaces/${workspaceId}/connectors/openai/sync`, { token: owner.token }))),
      );
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    // Until each connection has finished at least three whole syncs.
    const firstPages = (key: string) => fake.requests.filter((r) => r.key === key && r.path === '/v1/organization/usage/completions' && !r.query.get('page') && r.status === 200).length;
    for (let i = 0; i < 600 && (firstPages('sk-admin-cluster-A') < 3 || firstPages('sk-admin-cluster-B') < 3); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(firstPages('sk-admin-cluster-A')).toBeGreaterThanOrEqual(3);
    expect(firstPages('sk-admin-cluster-B')).toBeGreaterThanOrEqual(3);

    expect(fake.maxInFlightPerKey.get('sk-admin-cluster-A')).toBe(1);
    expect(fake.maxInFlightPerKey.get('sk-admin-cluster-B')).toBe(1);

    for (const workspaceId of workspaces) {
      const [totals] = await cluster.query<{ rows: number; input: number; requests: number; cost: number }>(
        `SELECT count(*)::int AS rows, coalesce(sum(input_tokens), 0)::float8 AS input, coalesce(sum(requests), 0)::float8 AS requests, coalesce(sum(cost_usd), 0)::float8 AS cost
         FROM $schema.provider_billing_buckets WHERE workspace_id = $1`,
        [workspaceId],
      );
      // 31 days (the backfill and today) x (2 usage rows + 1 cost row), each once.
      expect(totals).toEqual({ rows: 31 * 3, input: 31 * 107, requests: 31 * 2, cost: 31 * 0.25 });
      const status = (await rest<Connector>(b.url, 'GET', `/v1/workspaces/${workspaceId}/connectors/openai`, { token: owner.token })).body;
      expect(status).toMatchObject({ lastError: null, syncedThrough: new Date(today).toISOString() });
    }
  });
});
