import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RepriceJobSchema, type RepriceJob, type UsageRecord } from '@tally/protocol';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { engineSetups, type EngineSetup } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { uniqueName } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';

/**
 * Re-pricing stored records (issue 15 item 5) on every store: an admin changes an override and a
 * discount, previews (old and new totals per model, with progress), applies, and the stored
 * records then hold exactly the previewed totals; the rollups follow; a preview made with other
 * prices cannot be applied; members are refused.
 */
const clickhouseUrl = inject('clickhouseUrl');

interface Setup {
  name: string;
  engine: EngineSetup;
  env?: Record<string, string>;
  skip: string | null;
  clickhouseDatabase?: string;
}

const embedded = engineSetups()[0]!;
const scale = engineSetups()[1]!;
const chDatabase = uniqueName('tally_reprice');
const SETUPS: Setup[] = [
  { name: 'PGlite', engine: embedded, skip: null },
  { name: 'PostgreSQL', engine: scale, skip: scale.skipReason },
  {
    name: 'ClickHouse',
    engine: embedded,
    env: clickhouseUrl ? { TALLY_CLICKHOUSE_URL: `${clickhouseUrl.replace(/\/$/, '')}/${chDatabase}` } : {},
    skip: clickhouseUrl ? null : `SKIPPED: ${inject('servicesMissing')['clickhouse'] ?? 'no ClickHouse'}`,
    clickhouseDatabase: chDatabase,
  },
];

async function finished(server: TestApp, token: string, job: RepriceJob, seen: number[] = []): Promise<RepriceJob> {
  for (let i = 0; i < 1200; i++) {
    const polled = RepriceJobSchema.parse((await rest(server.baseUrl, 'GET', `/v1/admin/prices/reprice/${job.id}`, { token })).body);
    seen.push(polled.progress.percent);
    if (polled.status !== 'running') return polled;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the re-pricing job did not finish');
}

for (const setup of SETUPS) {
  describe.skipIf(setup.skip !== null)(`re-pricing on ${setup.name} ${setup.skip ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    let member: Awaited<ReturnType<typeof signUp>>;
    const file = usageNdjson({ seed: 31, days: 3, requestsPerDay: 700 });
    const records = file.trim().split('\n').map((line) => JSON.parse(line) as UsageRecord);

    beforeAll(async () => {
      server = await startTestApp({ engine: setup.engine, ...(setup.env ? { env: setup.env } : {}) });
      admin = await signUp(server.baseUrl, 'reprice-admin');
      member = await signUp(server.baseUrl, 'reprice-member');
      expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${member.userId}/usage`, { token: member.token, body: file })).status).toBe(200);
      expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${admin.userId}/usage`, { token: admin.token, body: usageNdjson({ seed: 32, days: 2, requestsPerDay: 300 }) })).status).toBe(200);
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      if (setup.clickhouseDatabase && clickhouseUrl) {
        const client = createClient({ url: clickhouseUrl });
        await client.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(setup.clickhouseDatabase)}` .text });
        await client.close();
      }
    });

    it('members can neither preview nor apply', async () => {
      const preview = await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/preview', { token: member.token, json: {} });
      expect(preview.status).toBe(403);
      const apply = await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/apply', { token: member.token, json: { previewId: crypto.randomUUID() } });
      expect(apply.status).toBe(403);
    });

    it('previews with progress, applies exactly the previewed totals, and keeps the rollups in step', { timeout: 180_000 }, async () => {
      const before = await server.app.services.agents.usageStore.aggregate(member.userId);
      const oldGpt4o = sumCost(before, 'gpt-4o');
      // An override (no cache prices: cache tokens billed as input) and a discount of 20% on OpenAI.
      expect((await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'gpt-4.1', inputPerMTok: 1, outputPerMTok: 2 } })).status).toBe(200);
      expect((await rest(server.baseUrl, 'PUT', '/v1/admin/prices/discounts', { token: admin.token, json: { provider: 'openai', percent: 20 } })).status).toBe(200);

      const started = await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/preview', { token: admin.token, json: {} });
      expect(started.status).toBe(202);
      const percents: number[] = [];
      const preview = await finished(server, admin.token, RepriceJobSchema.parse(started.body), percents);
      expect(preview.status).toBe('done');
      expect(preview.progress.percent).toBe(100);
      expect(preview.progress.rowsDone).toBe(preview.progress.rowsTotal);
      expect(preview.progress.rowsDone).toBeGreaterThanOrEqual(records.length);
      expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);

      // The override's new total, computed here from the file: input-side tokens at $1, output at $2, batch halved.
      const member41 = records.filter((r) => r.model === 'gpt-4.1');
      expect(member41.length).toBeGreaterThan(0);
      const models = new Map(preview.models!.map((m) => [m.model, m]));
      const gpt41 = models.get('gpt-4.1')!;
      const adminShare = gpt41.records - member41.length;
      expect(adminShare).toBeGreaterThanOrEqual(0);
      // Nothing is written by a preview.
      expect(sumCost(await server.app.services.agents.usageStore.aggregate(member.userId), 'gpt-4o')).toBe(oldGpt4o);

      const applied = await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/apply', { token: admin.token, json: { previewId: preview.id } });
      expect(applied.status).toBe(202);
      const done = await finished(server, admin.token, RepriceJobSchema.parse(applied.body));
      expect(done.status).toBe('done');
      expect(done.progress.rowsChanged).toBeGreaterThan(0);
      // The application's totals are the preview's, to the bit.
      expect(done.models).toEqual(preview.models);
      expect(done.totals).toEqual(preview.totals);

      // What is stored now: a new preview reads the applied costs as its old ones, and finds nothing to change.
      const again = await finished(server, admin.token, RepriceJobSchema.parse((await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/preview', { token: admin.token, json: {} })).body));
      for (const m of preview.models!) {
        const now = again.models!.find((x) => x.model === m.model)!;
        expect(now.oldCostUsd, m.model).toBe(m.newCostUsd);
        expect(now.oldUnpriced).toBe(m.newUnpriced);
        expect(now.changedRecords).toBe(0);
      }

      // The member's own records, read raw and through the rollups, hold the independent prices.
      const expected41 = member41.reduce((sum, r) => {
        const inputSide = r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens + (r.cacheWrite1hTokens ?? 0);
        return sum + ((inputSide * 1 + r.outputTokens * 2) / 1e6) * (r.batch ? 0.5 : 1);
      }, 0);
      const rolled = await server.app.services.agents.usageStore.aggregate(member.userId);
      const raw = await server.app.services.agents.usageStore.aggregate(member.userId, { from: '2000-01-01T00:00:00.001Z' });
      expect(sumCost(rolled, 'gpt-4.1')).toBeCloseTo(expected41, 9);
      expect(sumCost(raw, 'gpt-4.1')).toBeCloseTo(expected41, 9);
      expect(sumCost(rolled, 'gpt-4o')).toBeCloseTo(oldGpt4o * 0.8, 9);
      expect(sumCost(raw, 'gpt-4o')).toBeCloseTo(oldGpt4o * 0.8, 9);
    });

    it('refuses to apply a preview made with other prices than those in force', { timeout: 60_000 }, async () => {
      const preview = await finished(server, admin.token, RepriceJobSchema.parse((await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/preview', { token: admin.token, json: {} })).body));
      expect((await rest(server.baseUrl, 'PUT', '/v1/admin/prices/discounts', { token: admin.token, json: { provider: 'openai', percent: 25 } })).status).toBe(200);
      const refused = await rest(server.baseUrl, 'POST', '/v1/admin/prices/reprice/apply', { token: admin.token, json: { previewId: preview.id } });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'REPRICE_PREVIEW_REQUIRED' } });
      const unknown = await rest(server.baseUrl, 'GET', `/v1/admin/prices/reprice/${crypto.randomUUID()}`, { token: admin.token });
      expect(unknown.body).toMatchObject({ error: { code: 'REPRICE_JOB_NOT_FOUND' } });
    });
  });
}

function sumCost(rows: readonly { model: string; costUsd: number }[], model: string): number {
  return rows.filter((r) => r.model === model).reduce((sum, r) => sum + r.costUsd, 0);
}
