import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecordSchema } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import * as usageRollups from '../../src/store/migrations/0008-usage-rollups.js';
import * as cacheWriteDurations from '../../src/store/migrations/0010-cache-write-durations.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createRecordReads } from '../../src/usage/sql/sql-usage-raw-reads.js';
import { dayRange } from '../../src/usage/day-range.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import type { PricedUsageRecord, TimeRange } from '../../src/usage/usage-store.js';
import { insertAccount } from '../support/test-accounts.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * The SQL store answers whole-day ranges from its rollups: they must give what the records give,
 * after inserts that land in the same rollup rows batch after batch, out of time order, with
 * duplicates, for each owner apart. Float sums (cost, latency) are added in another order: 1e-12.
 */
describe('SqlUsageStore rollups on PGlite', () => {
  let db: Db;
  let dataDir: string;
  const owner = crypto.randomUUID();
  const other = crypto.randomUUID();
  const prices = createGenaiPriceCatalog();

  beforeAll(async () => {
    dataDir = await newEmbeddedDataDir('tally-usage-rollups-');
    db = (await openDatabase({ url: undefined, dataDir })).db;
    await migrateToLatest(db);
    for (const id of [owner, other]) await insertAccount(db, id);
    const store = createSqlUsageStore(db);
    const records = [...generateUsage({ seed: 5, days: 6, end: new Date('2026-09-07T00:00:00Z'), requestsPerDay: 700 })].map((r, i) =>
      // Some calls write 1-hour caches too: the rollups carry them apart from 5-minute writes.
      priceUsageRecord(prices, i % 5 === 0 ? { ...r, cacheWrite1hTokens: 500 + i } : r),
    );
    const odd: PricedUsageRecord[] = [
      { record: UsageRecordSchema.parse({ ts: '2026-09-03T10:00:00.250Z', model: 'acme-9000', inputTokens: 5, outputTokens: 7, promptPrefixHash: 'p', maxOutputTokens: 3 }), key: 'odd-1', costUsd: null },
      { record: UsageRecordSchema.parse({ ts: '2026-09-03T10:02:00Z', model: 'acme-9000', inputTokens: 5, outputTokens: 9, promptPrefixHash: 'p', reasoningTokens: 4 }), key: 'odd-2', costUsd: null },
    ];
    // Interleaved batches: every rollup row is written by several statements.
    const shuffled = [...records.filter((_, i) => i % 3 === 0), ...odd, ...records.filter((_, i) => i % 3 !== 0)];
    for (let start = 0; start < shuffled.length; start += 997) {
      await store.insert(owner, shuffled.slice(start, start + 997));
    }
    expect(await store.insert(owner, records.slice(0, 500))).toEqual({ inserted: 0, duplicates: 500 });
    await store.insert(other, records.slice(0, 800));
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const floatFields = new Set(['costUsd', 'latencyMsSum']);
  function expectSame(actual: object[], expected: object[]): void {
    expect(actual.length).toBe(expected.length);
    actual.forEach((row, i) => {
      const want = expected[i] as Record<string, unknown>;
      for (const [field, value] of Object.entries(row)) {
        const wanted = want[field];
        if (floatFields.has(field) && typeof value === 'number' && typeof wanted === 'number') {
          expect(Math.abs(value - wanted)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(wanted)));
        } else {
          expect({ row: i, field, value }).toEqual({ row: i, field, value: wanted });
        }
      }
      expect(Object.keys(row).sort()).toEqual(Object.keys(want).sort());
    });
  }

  const ranges: (TimeRange | undefined)[] = [
    undefined,
    { from: '2026-09-03T00:00:00Z' },
    { to: '2026-09-04T00:00:00.000Z' },
    { from: '2026-09-02T00:00:00Z', to: '2026-09-05T00:00:00Z' },
    { from: '2026-09-03T02:00:00+02:00', to: '2026-09-04T00:00:00Z' },
    { from: '2030-01-01T00:00:00Z' },
  ];

  it.each(ranges)('answers whole-day range %o from the rollups exactly as from the records', async (range) => {
    expect(dayRange(range)).not.toBeNull();
    const store = createSqlUsageStore(db);
    const records = createRecordReads(db);
    expect(await store.overview(owner, range)).toEqual(await records.overview(owner, range));
    const aggregate = await records.aggregate(owner, range);
    expectSame(await store.aggregate(owner, range), aggregate);
    expectSame(await store.prefixStats(owner, range), await records.prefixStats(owner, range));
    expectSame(await store.outputStats(owner, range), await records.outputStats(owner, range));
    if (range?.from !== '2030-01-01T00:00:00Z') expect(aggregate.length).toBeGreaterThan(10);
  });

  it('rolls up the records already stored when the migration runs', async () => {
    const store = createSqlUsageStore(db);
    const before = { overview: await store.overview(owner), aggregate: await store.aggregate(owner), prefixes: await store.prefixStats(owner), outputs: await store.outputStats(owner) };
    // Migrations are written against an untyped database, as the migrator runs them.
    const untyped = db as unknown as Kysely<unknown>;
    // 0010 comes after the rollups: undone first, redone last. Undoing it drops the 1-hour cache
    // writes, so they read 0 afterwards (as in records stored before it).
    await cacheWriteDurations.down(untyped);
    await usageRollups.down(untyped);
    await usageRollups.up(untyped);
    await cacheWriteDurations.up(untyped);
    const no1h = <T extends { cacheWrite1hTokens?: number }>(rows: T[]) => rows.map((r) => ({ ...r, cacheWrite1hTokens: 0 }));
    expect(await store.overview(owner)).toEqual(before.overview);
    expectSame(await store.aggregate(owner), no1h(before.aggregate));
    expectSame(await store.prefixStats(owner), no1h(before.prefixes));
    expectSame(await store.outputStats(owner), before.outputs);
    expect((await store.overview(other)).records).toBe(800);
  });

  it('reads the records for a bound that is not a UTC midnight', () => {
    expect(dayRange({ from: '2026-09-03T00:00:00.0001Z' })).toBeNull();
    expect(dayRange({ to: '2026-09-03T10:00:00Z' })).toBeNull();
    expect(dayRange({ from: 'yesterday' })).toBeNull();
    expect(dayRange(undefined)).toEqual({});
  });
});
