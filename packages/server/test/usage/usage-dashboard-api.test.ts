import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRestClient, TallyApiError, type RestClient } from '@tally/client';
import { UsageRecordSchema, type UsageDashboardFilters, type UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { engineSetups, type EngineSetup } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { uniqueName } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * GET /v1/workspaces/:workspaceId/usage/dashboard through the client, on every usage engine: its figures equal sums
 * computed here, record by record, from the file uploaded (priced with the same catalog the
 * server uses), with and without each filter; another user's records never count.
 */
const prices = createGenaiPriceCatalog();
const END = new Date('2026-03-01T00:00:00Z');
const records = [...generateUsage({ seed: 41, days: 6, end: END, requestsPerDay: 60 })].map((r) => UsageRecordSchema.parse(r));
const ndjson = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const priced = records.map((record) => ({ record, costUsd: priceUsageRecord(prices, record).costUsd }));

/** The expected figures, summed directly from the records. */
function expected(filters: UsageDashboardFilters) {
  const inFilter = priced.filter(({ record: r }) => {
    const t = Date.parse(r.ts);
    return (
      (filters.from === undefined || t >= Date.parse(filters.from)) &&
      (filters.to === undefined || t < Date.parse(filters.to)) &&
      (!filters.models || filters.models.includes(r.model)) &&
      (!filters.projects || filters.projects.includes(r.project))
    );
  });
  const sum = (f: (x: { record: UsageRecord; costUsd: number | null }) => number) => inFilter.reduce((acc, x) => acc + f(x), 0);
  const byKey = (key: (r: UsageRecord) => string) => {
    const out = new Map<string, { requests: number; costUsd: number }>();
    for (const { record, costUsd } of inFilter) {
      const slot = out.get(key(record)) ?? { requests: 0, costUsd: 0 };
      slot.requests += 1;
      slot.costUsd += costUsd ?? 0;
      out.set(key(record), slot);
    }
    return out;
  };
  return {
    requests: inFilter.length,
    costUsd: sum((x) => x.costUsd ?? 0),
    inputTokens: sum((x) => x.record.inputTokens),
    outputTokens: sum((x) => x.record.outputTokens),
    cacheReadTokens: sum((x) => x.record.cacheReadTokens),
    cacheWriteTokens: sum((x) => x.record.cacheWriteTokens),
    failed: sum((x) => (x.record.status === 'ok' ? 0 : 1)),
    unpriced: sum((x) => (x.costUsd === null ? 1 : 0)),
    byDay: byKey((r) => new Date(r.ts).toISOString().slice(0, 10)),
    byModel: byKey((r) => r.model),
    byProject: byKey((r) => r.project),
  };
}

const models = [...new Set(records.map((r) => r.model))].sort();
const projects = [...new Set(records.map((r) => r.project))].sort();
const FILTERS: Array<[string, UsageDashboardFilters]> = [
  ['no filter', {}],
  ['whole days', { from: '2026-02-25T00:00:00Z', to: '2026-02-28T00:00:00Z' }],
  ['hours (the store sums the window)', { from: '2026-02-24T13:30:00Z', to: '2026-02-27T06:15:00+02:00' }],
  ['only from', { from: '2026-02-27T00:00:00Z' }],
  ['models', { models: models.slice(0, 2) }],
  ['projects', { projects: projects.slice(0, 1) }],
  ['everything', { from: '2026-02-24T10:00:00Z', to: '2026-02-28T12:00:00Z', models: models.slice(1), projects: projects.slice(0, 2) }],
];

function dashboardSuite(label: string, start: () => Promise<TestApp>, stop: () => Promise<void> = async () => undefined) {
  describe(`usage dashboard on ${label}`, () => {
    let server: TestApp;
    let client: RestClient;
    let workspaceId: string;
    beforeAll(async () => {
      server = await start();
      const owner = await signUp(server.baseUrl, 'dashboard');
      const other = await signUp(server.baseUrl, 'dashboard-other');
      client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => owner.token });
      workspaceId = owner.userId;
      expect((await client.uploadUsage(workspaceId, ndjson)).inserted).toBe(records.length);
      // Another user's usage on the same days and models: it must never count.
      const foreign = [...generateUsage({ seed: 42, days: 6, end: END, requestsPerDay: 80 })];
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${other.userId}/usage`, { token: other.token, body: foreign.map((r) => JSON.stringify(r)).join('\n') });
    });
    afterAll(async () => {
      await server?.close();
      await stop();
    });

    it.each(FILTERS)('equals the sums of the uploaded records: %s', async (_name, filters) => {
      const d = await client.usageDashboard(workspaceId, filters);
      const want = expected(filters);
      expect(want.requests).toBeGreaterThan(0);
      expect(d.totals.requests).toBe(want.requests);
      expect(d.totals.inputTokens).toBe(want.inputTokens);
      expect(d.totals.outputTokens).toBe(want.outputTokens);
      expect(d.totals.cacheReadTokens).toBe(want.cacheReadTokens);
      expect(d.totals.cacheWriteTokens).toBe(want.cacheWriteTokens);
      expect(d.totals.unpricedRequests).toBe(want.unpriced);
      expect(d.totals.costUsd).toBeCloseTo(want.costUsd, 5);
      expect(d.totals.errorRate).toBeCloseTo(want.failed / want.requests, 5);
      const days = d.byDay.filter((x) => x.requests > 0);
      expect(days.map((x) => x.day)).toEqual([...want.byDay.keys()].sort());
      for (const day of days) {
        expect(day.requests).toBe(want.byDay.get(day.day)!.requests);
        expect(day.costUsd).toBeCloseTo(want.byDay.get(day.day)!.costUsd, 5);
      }
      for (const [slices, wanted] of [[d.byModel, want.byModel], [d.byProject, want.byProject]] as const) {
        expect(slices.map((s) => s.key).sort()).toEqual([...wanted.keys()].sort());
        for (const s of slices) {
          expect(s.requests).toBe(wanted.get(s.key)!.requests);
          expect(s.costUsd).toBeCloseTo(wanted.get(s.key)!.costUsd, 5);
          expect(s.share).toBeCloseTo(want.costUsd === 0 ? 0 : wanted.get(s.key)!.costUsd / want.costUsd, 5);
        }
      }
      const cellSum = d.costByModelByDay.reduce((acc, c) => acc + c.costUsd, 0);
      expect(cellSum).toBeCloseTo(want.costUsd, 4);
      // The filter controls always offer all of the owner's data, and only theirs.
      expect(d.available.models).toEqual(models);
      expect(d.available.projects).toEqual(projects);
      expect(d.available.from).toBe(new Date(Math.min(...records.map((r) => Date.parse(r.ts)))).toISOString());
    });

    it('refuses bad dates, an empty window and a reversed one with VALIDATION_FAILED', async () => {
      for (const filters of [{ from: 'yesterday' }, { to: '2026-02-30' }, { from: '2026-02-26T00:00:00Z', to: '2026-02-26T00:00:00Z' }, { from: '2026-02-27T00:00:00Z', to: '2026-02-26T00:00:00Z' }]) {
        const error = await client.usageDashboard(workspaceId, filters).catch((e: unknown) => e);
        expect(error, JSON.stringify(filters)).toBeInstanceOf(TallyApiError);
        expect((error as TallyApiError).code).toBe('VALIDATION_FAILED');
      }
    });

    it('shows a user without usage an empty dashboard', async () => {
      const empty = await signUp(server.baseUrl, 'dashboard-empty');
      const res = await rest(server.baseUrl, 'GET', `/v1/workspaces/${empty.userId}/usage/dashboard`, { token: empty.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ totals: { requests: 0, costUsd: 0 }, byDay: [], byModel: [], range: { from: null, to: null }, available: { models: [], projects: [] } });
    });
  });
}

for (const engine of engineSetups()) {
  if (engine.skipReason !== null) {
    describe.skip(`usage dashboard on ${engine.name} ${engine.skipReason}`, () => undefined);
    continue;
  }
  dashboardSuite(engine.name, () => startTestApp({ engine: engine as EngineSetup }));
}

const clickhouseUrl = inject('clickhouseUrl');
if (clickhouseUrl) {
  const database = uniqueName('tally_dash');
  dashboardSuite(
    'ClickHouse',
    () =>
      startTestApp({
        engine: { name: 'embedded', postgresUrl: null, redisUrl: null, skipReason: null },
        env: { TALLY_CLICKHOUSE_URL: `${clickhouseUrl.replace(/\/$/, '')}/${database}` },
      }),
    async () => {
      const admin = createClient({ url: clickhouseUrl });
      try {
        await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
      } finally {
        await admin.close();
      }
    },
  );
} else {
  describe.skip(`usage dashboard on ClickHouse: SKIPPED (${inject('servicesMissing')['clickhouse'] ?? 'no ClickHouse URL'})`, () => undefined);
}
