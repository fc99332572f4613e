import crypto from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { toClickHouseRow } from '../../src/usage/clickhouse/clickhouse-schema.js';
import { createClickHouseUsageStore, type ClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import type { PricedUsageRecord, TimeRange } from '../../src/usage/usage-store.js';
import { uniqueName } from '../support/services.js';

/**
 * The ClickHouse rollups against the records they summarise. Whole-day reads come from the
 * rollups; a range whose start is 1 ms after the epoch covers every record but is not a midnight,
 * so it is answered from the records: both must agree after racing inserts and after the
 * rollups are built from records stored before them.
 */
const clickhouseUrl = inject('clickhouseUrl');
const FROM_RECORDS: TimeRange = { from: '1970-01-01T00:00:00.001Z' };

async function report(store: ClickHouseUsageStore, owner: string, range?: TimeRange) {
  return {
    overview: await store.overview(owner, range),
    aggregate: (await store.aggregate(owner, range)).map(({ costUsd, latencyMsSum, ...exact }) => ({ ...exact, costUsd: round(costUsd), latencyMsSum: round(latencyMsSum) })),
    prefixes: await store.prefixStats(owner, range),
    outputs: await store.outputStats(owner, range),
  };
}

/** Float sums are added in a different order from the records and from the rollups. */
const round = (value: number): number => Number(value.toPrecision(12));

function week(seed: number): PricedUsageRecord[] {
  const prices = createGenaiPriceCatalog();
  return [...generateUsage({ seed, days: 3, end: new Date('2026-09-04T00:00:00Z'), requestsPerDay: 400 })].map((r, i) =>
    // Some calls write 1-hour caches too: the rollups carry them apart from 5-minute writes.
    priceUsageRecord(prices, i % 5 === 0 ? { ...r, cacheWrite1hTokens: 300 + i } : r),
  );
}

describe.runIf(clickhouseUrl)('ClickHouse rollups', () => {
  const database = uniqueName('tally_test');
  let store: ClickHouseUsageStore;
  let admin: ClickHouseClient;

  beforeAll(async () => {
    store = await createClickHouseUsageStore({ url: clickhouseUrl!, database });
    admin = createClient({ url: clickhouseUrl! });
  });

  afterAll(async () => {
    await store?.close();
    await admin?.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
    await admin?.close();
  });

  it('equal the records after overlapping inserts race on the same days', async () => {
    const owner = crypto.randomUUID();
    const records = week(11);
    // Overlapping slices sent at once, by this store and by a second one (another node).
    const other = await createClickHouseUsageStore({ url: clickhouseUrl!, database });
    try {
      const slices = [records.slice(0, 800), records.slice(400, 1200), records.slice(0, 1200), records.slice(1000)];
      const results = await Promise.all(slices.map((slice, i) => (i % 2 === 0 ? store : other).insert(owner, slice)));
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBeGreaterThanOrEqual(records.length);
    } finally {
      await other.close();
    }
    const rolledUp = await report(store, owner);
    expect(rolledUp.overview.records).toBe(records.length);
    expect(rolledUp.prefixes.length).toBeGreaterThan(0);
    expect(rolledUp).toEqual(await report(store, owner, FROM_RECORDS));
    // Whole days inside the history, from the rollups, against the records over the same calls.
    // The same end to the millisecond, but a sub-millisecond digit makes it no midnight.
    const day = { from: '2026-09-02T00:00:00Z', to: '2026-09-03T00:00:00Z' };
    const dayFromRecords = { from: day.from, to: '2026-09-03T00:00:00.0001Z' };
    const dayRolledUp = await report(store, owner, day);
    expect(dayRolledUp.overview.records).toBeGreaterThan(0);
    expect(dayRolledUp.overview.records).toBeLessThan(records.length);
    expect(dayRolledUp).toEqual(await report(store, owner, dayFromRecords));
  }, 60_000);

  it('are brought up to date once per upload session, by finish, for every day it touched', async () => {
    const owner = crypto.randomUUID();
    const records = week(13);
    const session = store.openIngest!(owner);
    const first = await session.insert(records.slice(0, 500));
    const second = await session.insert(records.slice(300));
    expect(first.inserted + second.inserted).toBe(records.length);
    expect(second.duplicates).toBe(200);
    // Before finish, whole-day reads (the rollups) lag the upload; reads from the records do not.
    expect((await store.overview(owner)).records).toBe(0);
    expect((await store.overview(owner, FROM_RECORDS)).records).toBe(records.length);
    await session.finish();
    const rolledUp = await report(store, owner);
    expect(rolledUp.overview.records).toBe(records.length);
    expect(rolledUp).toEqual(await report(store, owner, FROM_RECORDS));
    // A retry of the whole upload is all duplicates, and leaves the rollups as they are.
    const retry = store.openIngest!(owner);
    expect(await retry.insert(records)).toEqual({ inserted: 0, duplicates: records.length });
    await retry.finish();
    expect(await report(store, owner)).toEqual(rolledUp);
  }, 60_000);

  it('are built from the records stored before them when a store opens', async () => {
    const owner = crypto.randomUUID();
    const records = week(12);
    // Records written as a store from before the rollups did (twice, as a racing insert can).
    const rows = records.map((r) => toClickHouseRow(owner, r));
    const table = clickHouseSql`${identifier(database)}.usage_records`.text;
    await admin.insert({ table, values: rows, format: 'JSONEachRow' });
    await admin.insert({ table, values: rows, format: 'JSONEachRow' });
    for (const rollup of ['usage_daily', 'usage_prefix_buckets', 'usage_output_sizes']) {
      await admin.command({ query: clickHouseSql`DROP TABLE ${identifier(database)}.${identifier(rollup)}`.text });
    }
    const reopened = await createClickHouseUsageStore({ url: clickhouseUrl!, database });
    try {
      const rolledUp = await report(reopened, owner);
      expect(rolledUp.overview.records).toBe(records.length);
      expect(rolledUp.aggregate.length).toBeGreaterThan(10);
      expect(rolledUp).toEqual(await report(reopened, owner, FROM_RECORDS));
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
