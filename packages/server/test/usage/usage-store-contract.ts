import { afterAll, beforeAll, expect, it } from 'vitest';
import { UsageRecordSchema, type UsageRecord, type UsageRecordInput } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { recordKey } from '../../src/usage/record-key.js';
import { mergeUsageRows, toUsageRows } from '../../src/usage/usage-rows.js';
import type { PricedUsageRecord, UsageAggregateRow, UsageStore } from '../../src/usage/usage-store.js';

/** One implementation under test: a store, a way to make owners (users rows for SQL), cleanup. */
export interface UsageStoreHarness {
  store: UsageStore;
  createOwner(): Promise<string>;
  close(): Promise<void>;
}

const prices = createGenaiPriceCatalog();

function priced(input: UsageRecordInput, costUsd?: number | null): PricedUsageRecord {
  const record = UsageRecordSchema.parse(input);
  const cost =
    costUsd !== undefined
      ? costUsd
      : prices.priceCall({ ...record, provider: record.provider ?? null, at: new Date(record.ts) });
  return { record, key: recordKey(record), costUsd: cost };
}

const base = { ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 100, outputTokens: 10 };

/**
 * The behaviour every UsageStore must have. Registers its tests in the caller's describe block;
 * totals are checked against a direct computation over the records inserted.
 */
export function usageStoreContract(open: () => Promise<UsageStoreHarness>): void {
  let h: UsageStoreHarness;
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('inserts, counting duplicates across calls and within one batch', async () => {
    const owner = await h.createOwner();
    const a = priced({ ...base, id: 'a' });
    const b = priced({ ...base, id: 'b' });
    expect(await h.store.insert(owner, [a, b, a])).toEqual({ inserted: 2, duplicates: 1 });
    expect(await h.store.insert(owner, [a, b, priced({ ...base, id: 'c' })])).toEqual({ inserted: 1, duplicates: 2 });
    expect(await h.store.insert(owner, [])).toEqual({ inserted: 0, duplicates: 0 });
    expect((await h.store.overview(owner)).records).toBe(3);
  });

  it('stores prepared rows (usage-rows.ts) as it stores the same records: duplicates exact, merged batches included, same figures', async () => {
    const viaRecords = await h.createOwner();
    const viaRows = await h.createOwner();
    const records = [...generateUsage({ seed: 5, days: 2, end: new Date('2026-09-03T00:00:00Z'), requestsPerDay: 300 })].map((r) => priced(r));
    records.push(priced({ ...base, id: 'unpriced', model: 'acme-llm-9000' }), priced({ ...base, id: 'quote', project: `it's "quoted" \\ back` }));
    const half = Math.floor(records.length / 2);
    expect(await h.store.insert(viaRecords, records)).toEqual({ inserted: records.length, duplicates: 0 });
    const first = toUsageRows(h.store.rowForm, viaRows, records.slice(0, half + 10));
    const second = toUsageRows(h.store.rowForm, viaRows, records.slice(half));
    // Two requests merged as the write batcher merges them: the second's copies of the first's keys dropped.
    const merged = mergeUsageRows([first, second]);
    expect(merged.keys.ends.length).toBe(records.length);
    expect(await h.store.insertRows(viaRows, merged)).toEqual({ inserted: records.length, duplicates: 0 });
    // A replay, and records already stored by the other path, are duplicates.
    expect(await h.store.insertRows(viaRows, second)).toEqual({ inserted: 0, duplicates: second.keys.ends.length });
    expect(await h.store.insert(viaRows, records.slice(0, 3))).toEqual({ inserted: 0, duplicates: 3 });
    expect(await h.store.overview(viaRows)).toEqual(await h.store.overview(viaRecords));
    expect(await h.store.aggregate(viaRows)).toEqual(await h.store.aggregate(viaRecords));
    expect(await h.store.prefixStats(viaRows)).toEqual(await h.store.prefixStats(viaRecords));
    expect(await h.store.outputStats(viaRows)).toEqual(await h.store.outputStats(viaRecords));
  });

  it('keeps owners apart: another owner sees nothing and may store the same keys', async () => {
    const alice = await h.createOwner();
    const bob = await h.createOwner();
    const records = [priced({ ...base, id: 'x', promptPrefixHash: 'p', prefixTokens: 50 }), priced({ ...base, id: 'y', promptPrefixHash: 'p', prefixTokens: 50 })];
    await h.store.insert(alice, records);
    expect(await h.store.overview(bob)).toEqual({ records: 0, from: null, to: null, models: [] });
    expect(await h.store.aggregate(bob)).toEqual([]);
    expect(await h.store.prefixStats(bob)).toEqual([]);
    expect(await h.store.outputStats(bob)).toEqual([]);
    expect(await h.store.insert(bob, records)).toEqual({ inserted: 2, duplicates: 0 });
    expect((await h.store.overview(alice)).records).toBe(2);
  });

  it('aggregates generated traffic exactly as a direct computation does', async () => {
    const owner = await h.createOwner();
    const records = [...generateUsage({ seed: 11, days: 3, end: new Date('2026-09-04T00:00:00Z'), requestsPerDay: 900 })].map((r) => priced(r));
    records.push(priced({ ...base, id: 'unpriced', model: 'acme-llm-9000' }));
    // 1-hour cache writes, apart from 5-minute ones, on a few of the records.
    for (const [i, r] of records.entries()) if (i % 7 === 0) r.record.cacheWrite1hTokens = 1000 + i;
    expect(records.length).toBeGreaterThan(1000); // more than one INSERT chunk
    expect(await h.store.insert(owner, records)).toEqual({ inserted: records.length, duplicates: 0 });

    const rows = await h.store.aggregate(owner);
    const expected = directAggregate(records);
    expect(rows.map(groupId).sort()).toEqual([...expected.keys()].sort());
    for (const row of rows) {
      const want = expected.get(groupId(row))!;
      const { costUsd, latencyMsSum, ...exact } = row;
      const { costUsd: wantCost, latencyMsSum: wantLatency, ...wantExact } = want;
      expect(exact).toEqual(wantExact);
      expect(costUsd).toBeCloseTo(wantCost, 9);
      expect(latencyMsSum).toBeCloseTo(wantLatency, 6);
    }
    const sorted = [...rows].sort(compareRows);
    expect(rows).toEqual(sorted);

    const overview = await h.store.overview(owner);
    const times = records.map((r) => Date.parse(r.record.ts));
    expect(overview).toEqual({
      records: records.length,
      from: new Date(Math.min(...times)).toISOString(),
      to: new Date(Math.max(...times)).toISOString(),
      models: [...new Set(records.map((r) => r.record.model))].sort(),
    });
  });

  it('filters by time range (from inclusive, to exclusive) and groups by UTC day', async () => {
    const owner = await h.createOwner();
    await h.store.insert(owner, [
      priced({ ...base, id: '1', ts: '2026-09-01T23:30:00-02:00' }), // 2026-09-02 01:30 UTC
      priced({ ...base, id: '2', ts: '2026-09-02T12:00:00Z' }),
      priced({ ...base, id: '3', ts: '2026-09-03T00:00:00Z' }),
    ]);
    const rows = await h.store.aggregate(owner, { from: '2026-09-02T01:30:00Z', to: '2026-09-03T00:00:00Z' });
    expect(rows.map((r) => [r.day, r.requests])).toEqual([['2026-09-02', 2]]);
    expect((await h.store.overview(owner, { from: '2026-09-02T12:00:00Z' })).records).toBe(2);
    expect((await h.store.overview(owner, { to: '2026-09-02T01:30:00Z' })).records).toBe(0);
  });

  it('sums repeated prompt prefixes per day, leaving out prefixes seen once', async () => {
    const owner = await h.createOwner();
    const p = { ...base, promptPrefixHash: 'abc', prefixTokens: 80 };
    await h.store.insert(owner, [
      priced({ ...p, id: '1' }),
      priced({ ...p, id: '2', ts: '2026-09-01T11:00:00Z', cacheReadTokens: 80, inputTokens: 20 }),
      priced({ ...p, id: '3', ts: '2026-09-02T10:00:00Z' }),
      priced({ ...p, id: '4', ts: '2026-09-02T11:00:00Z' }),
      priced({ ...base, id: '5', promptPrefixHash: 'once', prefixTokens: 50 }),
      priced({ ...base, id: '6' }),
    ]);
    expect(await h.store.prefixStats(owner)).toEqual([
      { model: 'gpt-4o', provider: 'openai', project: 'default', feature: 'default', promptPrefixHash: 'abc', requests: 4, prefixTokens: 320, cacheReadTokens: 80, cacheWriteTokens: 0, cacheWrite1hTokens: 0, coldStarts: 4, days: 2, activeDays: 2 },
    ]);
  });

  it('counts cold starts of a prefix: its first call and each call more than the cache TTL after the previous one', async () => {
    const owner = await h.createOwner();
    const other = await h.createOwner();
    const p = { ...base, promptPrefixHash: 'ttl', prefixTokens: 2000, inputTokens: 2100 };
    const at = (hhmmss: string) => `2026-09-01T${hhmmss}Z`;
    // 10:00 cold, 10:04 warm, 10:09 warm (5 min exactly), 10:14:01 cold, 10:14:02 warm (inserted out of order).
    await h.store.insert(owner, [
      priced({ ...p, id: 'a', ts: at('10:14:02') }),
      priced({ ...p, id: 'b', ts: at('10:00:00'), cacheWriteTokens: 2000, inputTokens: 100 }),
      priced({ ...p, id: 'c', ts: at('10:04:00') }),
      priced({ ...p, id: 'd', ts: at('10:09:00'), cacheWrite1hTokens: 2000, inputTokens: 100 }),
      priced({ ...p, id: 'e', ts: at('10:14:01') }),
    ]);
    // Another owner's call in the gap warms nothing for this owner.
    await h.store.insert(other, [priced({ ...p, id: 'x', ts: at('10:12:00') }), priced({ ...p, id: 'y', ts: at('10:13:00') })]);
    const [row] = await h.store.prefixStats(owner);
    expect(row).toMatchObject({ requests: 5, coldStarts: 2, cacheWriteTokens: 2000, cacheWrite1hTokens: 2000, activeDays: 1 });
    expect((await h.store.prefixStats(owner, { from: at('10:04:00') }))[0]).toMatchObject({ requests: 4, coldStarts: 2 });
  });

  it('reports output sizes of successful calls with percentile_cont percentiles', async () => {
    const owner = await h.createOwner();
    const outputs = [10, 20, 30, 40, 1000];
    await h.store.insert(owner, [
      ...outputs.map((o, i) => priced({ ...base, id: `o${i}`, outputTokens: o, ...(i < 2 ? { maxOutputTokens: 4000 + i * 1000 } : {}) })),
      priced({ ...base, id: 'failed', outputTokens: 0, status: 'timeout', maxOutputTokens: 9000 }),
    ]);
    expect(await h.store.outputStats(owner)).toEqual([
      {
        model: 'gpt-4o',
        provider: 'openai',
        project: 'default',
        feature: 'default',
        requests: 5,
        limitedRequests: 2,
        meanMaxOutputTokens: 4500,
        p50OutputTokens: 30,
        p99OutputTokens: expect.closeTo(40 + 0.96 * 960, 9),
        maxOutputTokensSeen: 1000,
      },
    ]);
  });

  it('reads the three sets of the analysis at once exactly as one by one, whole history and a range', async () => {
    const owner = await h.createOwner();
    const records = [...generateUsage({ seed: 12, days: 3, end: new Date('2026-09-04T00:00:00Z'), requestsPerDay: 600 })].map((r) => priced(r));
    const odd = `o'brien"); drop table usage_records; --`;
    records.push(priced({ ...base, id: 'unpriced', model: 'acme-llm-9000', outputTokens: 7, maxOutputTokens: 100 }), priced({ ts: base.ts, model: odd, feature: odd, inputTokens: 5, outputTokens: 1 }, null));
    for (const [i, r] of records.entries()) if (i % 7 === 0) r.record.cacheWrite1hTokens = 1000 + i;
    await h.store.insert(owner, records);
    if (!h.store.analysisReads) return;
    for (const range of [undefined, { from: '2026-09-02T00:00:00Z' }]) {
      const oneByOne = { rows: await h.store.aggregate(owner, range), prefixStats: await h.store.prefixStats(owner, range), outputStats: await h.store.outputStats(owner, range) };
      expect(oneByOne.rows.length).toBeGreaterThan(10);
      expect(oneByOne.prefixStats.length).toBeGreaterThan(0);
      expect(oneByOne.outputStats.length).toBeGreaterThan(0);
      // Equal to the last bit, in the same order.
      expect(await h.store.analysisReads(owner, range)).toStrictEqual(oneByOne);
    }
    expect(await h.store.analysisReads(await h.createOwner())).toEqual({ rows: [], prefixStats: [], outputStats: [] });
  });

  it('stores text with quotes and SQL as data, and counts unpriced and provider-less calls', async () => {
    const owner = await h.createOwner();
    const odd = `o'brien"); drop table usage_records; --`;
    await h.store.insert(owner, [priced({ ts: base.ts, model: odd, feature: odd, inputTokens: 5, outputTokens: 1 }, null)]);
    const [row] = await h.store.aggregate(owner);
    expect(row).toMatchObject({ model: odd, feature: odd, provider: null, requests: 1, costUsd: 0, unpricedRequests: 1 });
    expect((await h.store.overview(owner)).models).toEqual([odd]);
  });
}

function groupId(r: Pick<UsageAggregateRow, 'day' | 'provider' | 'model' | 'project' | 'feature' | 'status' | 'interactive' | 'batch'>): string {
  return JSON.stringify([r.day, r.provider, r.model, r.project, r.feature, r.status, r.interactive, r.batch]);
}

/** The aggregate, computed the plain way. */
function directAggregate(records: PricedUsageRecord[]): Map<string, UsageAggregateRow> {
  const groups = new Map<string, UsageAggregateRow>();
  for (const { record: r, costUsd } of records) {
    const key = { day: new Date(r.ts).toISOString().slice(0, 10), provider: r.provider ?? null, model: r.model, project: r.project, feature: r.feature, status: r.status, interactive: r.interactive, batch: r.batch };
    const id = groupId(key);
    const g = groups.get(id) ?? { ...key, requests: 0, retries: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, costUsd: 0, unpricedRequests: 0, latencyMsSum: 0, latencyCount: 0 };
    g.requests += 1;
    g.retries += r.attempt > 1 ? 1 : 0;
    const at = Date.parse(r.ts);
    g.firstMs = Math.min(g.firstMs ?? at, at);
    g.lastMs = Math.max(g.lastMs ?? at, at);
    add(g, r);
    g.costUsd += costUsd ?? 0;
    g.unpricedRequests += costUsd === null ? 1 : 0;
    if (r.latencyMs !== undefined) {
      g.latencyMsSum += r.latencyMs;
      g.latencyCount += 1;
    }
    groups.set(id, g);
  }
  return groups;
}

function add(g: UsageAggregateRow, r: UsageRecord): void {
  g.inputTokens += r.inputTokens;
  g.outputTokens += r.outputTokens;
  g.cacheReadTokens += r.cacheReadTokens;
  g.cacheWriteTokens += r.cacheWriteTokens;
  g.cacheWrite1hTokens += r.cacheWrite1hTokens;
  g.reasoningTokens += r.reasoningTokens ?? 0;
}

/** The documented order: day, provider (nulls last), model, project, feature, status, interactive, batch. */
function compareRows(a: UsageAggregateRow, b: UsageAggregateRow): number {
  const text = (x: string | null, y: string | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
  return (
    text(a.day, b.day) ||
    text(a.provider, b.provider) ||
    text(a.model, b.model) ||
    text(a.project, b.project) ||
    text(a.feature, b.feature) ||
    text(a.status, b.status) ||
    Number(a.interactive) - Number(b.interactive) ||
    Number(a.batch) - Number(b.batch)
  );
}
