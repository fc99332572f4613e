/**
 * Usage store benchmark: the same generated records in ClickHouse and in the SQL store on PGlite,
 * timed for ingest and for the standard cost analysis (overview, aggregate, prefixStats,
 * outputStats), printed side by side with ratios.
 *
 *   node --import tsx bench/usage-store.ts [--rows 1000000] [--runs 3] [--small-batch-rows 100000]
 *
 * ClickHouse: TALLY_BENCH_CLICKHOUSE_URL, else the same find-or-start as the tests (a throw-away
 * clickhouse-server from the installed binary). Everything it creates is removed at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '@clickhouse/client';
import { createGenaiPriceCatalog } from '../packages/server/src/pricing/genai-price-catalog.js';
import { openDatabase } from '../packages/server/src/store/database.js';
import { migrateToLatest } from '../packages/server/src/store/migrate.js';
import { clickHouseSql, identifier, string, uuid } from '../packages/server/src/usage/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../packages/server/src/usage/clickhouse-usage-store.js';
import { generateUsage } from '../packages/server/src/usage/generate-usage.js';
import { priceUsageRecord } from '../packages/server/src/usage/price-usage-record.js';
import { createSqlUsageStore } from '../packages/server/src/usage/sql-usage-store.js';
import type { PricedUsageRecord, UsageStore } from '../packages/server/src/usage/usage-store.js';
import { resolveClickHouse } from '../packages/server/test/support/clickhouse.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    'batch-rows': { type: 'string', default: '20000' },
    'small-batch-rows': { type: 'string', default: '100000' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const BATCH = Number(args['batch-rows']);
const SMALL_BATCH_ROWS = Number(args['small-batch-rows']);
const DAYS = 30;
const END = new Date('2026-10-01T00:00:00Z');

/** Exactly `rows` priced records, generated over 30 days, in batches of `size`. */
function* pricedBatches(rows: number, size: number, seed: number): Generator<PricedUsageRecord[]> {
  const prices = createGenaiPriceCatalog();
  // Weekends are quieter; aim over and stop at exactly `rows` (the last days may go unused).
  const perDay = Math.ceil((rows / DAYS) * 1.25);
  let batch: PricedUsageRecord[] = [];
  let produced = 0;
  for (const record of generateUsage({ seed, days: DAYS, end: END, requestsPerDay: perDay })) {
    batch.push(priceUsageRecord(prices, record));
    produced += 1;
    if (batch.length === size || produced === rows) {
      yield batch;
      batch = [];
    }
    if (produced === rows) return;
  }
  if (batch.length > 0) yield batch;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median time of each analysis query over `RUNS` runs, after one warm-up run. */
async function analysisTimes(store: UsageStore, owner: string): Promise<Record<string, number>> {
  const queries: Record<string, () => Promise<unknown>> = {
    overview: () => store.overview(owner),
    aggregate: () => store.aggregate(owner),
    prefixStats: () => store.prefixStats(owner),
    outputStats: () => store.outputStats(owner),
  };
  const times: Record<string, number[]> = {};
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, query] of Object.entries(queries)) {
      const { ms } = await timed(query);
      if (run > 0) (times[name] ??= []).push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, median(ms)]));
}

const fmtMs = (ms: number) => `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms`;
const fmtRate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

async function main(): Promise<void> {
  const configured = process.env['TALLY_BENCH_CLICKHOUSE_URL'];
  const service = configured ? { url: configured, missing: null, stop: async () => {} } : await resolveClickHouse();
  if (!service.url) throw new Error(`no ClickHouse: ${service.missing}`);
  const database = `tally_bench_${crypto.randomBytes(4).toString('hex')}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-usage-'));
  const clickhouse = await createClickHouseUsageStore({ url: service.url, database });
  const { db } = await openDatabase({ url: undefined, dataDir });
  try {
    await migrateToLatest(db);
    const owner = crypto.randomUUID();
    await db.insertInto('users').values({ id: owner, email: `${owner}@bench.invalid`, password_hash: 'x', role: 'member' }).execute();
    const sql = createSqlUsageStore(db);
    console.log(`usage store bench: ${ROWS.toLocaleString('en-US')} rows over ${DAYS} days, ClickHouse at ${service.url}, PGlite in ${dataDir}`);

    // Ingest: the same batches into each store, generation and pricing not counted.
    let chMs = 0;
    let sqlMs = 0;
    let rows = 0;
    for (const batch of pricedBatches(ROWS, BATCH, 42)) {
      chMs += (await timed(() => clickhouse.insert(owner, batch))).ms;
      sqlMs += (await timed(() => sql.insert(owner, batch))).ms;
      rows += batch.length;
      process.stdout.write(`\r  ingested ${rows.toLocaleString('en-US')} rows`);
    }
    process.stdout.write('\n');
    const [chOverview, sqlOverview] = [await clickhouse.overview(owner), await sql.overview(owner)];
    if (chOverview.records !== sqlOverview.records) throw new Error(`record counts differ: ${chOverview.records} vs ${sqlOverview.records}`);

    // The app's ingester sends batches of 1000: each costs a key lookup and two small inserts.
    const smallOwner = crypto.randomUUID();
    let smallMs = 0;
    let smallRows = 0;
    for (const batch of pricedBatches(SMALL_BATCH_ROWS, 1000, 7)) {
      smallMs += (await timed(() => clickhouse.insert(smallOwner, batch))).ms;
      smallRows += batch.length;
    }
    // Re-ingest of already stored records: only the key lookups.
    let dupMs = 0;
    let dupRows = 0;
    for (const batch of pricedBatches(SMALL_BATCH_ROWS, 1000, 7)) {
      dupMs += (await timed(() => clickhouse.insert(smallOwner, batch))).ms;
      dupRows += batch.length;
    }

    const ch = await analysisTimes(clickhouse, owner);
    const pg = await analysisTimes(sql, owner);
    const chStandard = ch['aggregate']! + ch['prefixStats']! + ch['outputStats']!;
    const pgStandard = pg['aggregate']! + pg['prefixStats']! + pg['outputStats']!;

    // What FINAL (count each record once before merges) costs on this data.
    const raw = createClient({ url: service.url });
    const scan = (final: boolean) =>
      clickHouseSql`SELECT count(), sum(input_tokens), sum(cost_usd) FROM ${identifier(database)}.usage_records ${final ? clickHouseSql`FINAL` : clickHouseSql``} WHERE owner_id = ${uuid(owner)}`;
    const finalTimes: number[] = [];
    const plainTimes: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const f = await timed(async () => (await raw.query({ query: scan(true).text, format: 'JSONEachRow' })).json());
      const p = await timed(async () => (await raw.query({ query: scan(false).text, format: 'JSONEachRow' })).json());
      if (run > 0) {
        finalTimes.push(f.ms);
        plainTimes.push(p.ms);
      }
    }
    const parts = await (await raw.query({ query: clickHouseSql`SELECT count() AS parts FROM system.parts WHERE database = ${string(database)} AND table = 'usage_records' AND active`.text, format: 'JSONEachRow' })).json();
    await raw.close();

    const line = (label: string, a: string, b: string, ratio: string) => console.log(`  ${label.padEnd(34)} ${a.padStart(18)} ${b.padStart(18)} ${ratio.padStart(10)}`);
    console.log();
    line('', 'ClickHouse', 'PGlite (SQL)', 'PGlite/CH');
    line(`ingest, ${BATCH}-row batches`, fmtRate(rows, chMs), fmtRate(rows, sqlMs), (sqlMs / chMs).toFixed(1) + 'x');
    for (const name of ['overview', 'aggregate', 'prefixStats', 'outputStats']) {
      line(name, fmtMs(ch[name]!), fmtMs(pg[name]!), (pg[name]! / ch[name]!).toFixed(1) + 'x');
    }
    line('aggregate+prefixStats+outputStats', fmtMs(chStandard), fmtMs(pgStandard), (pgStandard / chStandard).toFixed(1) + 'x');
    console.log();
    console.log(`  ClickHouse ingest, the app's 1000-row batches: ${fmtRate(smallRows, smallMs)} (${smallRows.toLocaleString('en-US')} new rows)`);
    console.log(`  ClickHouse re-ingest of the same, all duplicates: ${fmtRate(dupRows, dupMs)}`);
    console.log(`  ClickHouse scan of the owner's rows with FINAL ${fmtMs(median(finalTimes))}, without ${fmtMs(median(plainTimes))}; active parts: ${JSON.stringify(parts)}`);
    console.log(`  (medians of ${RUNS} runs after a warm-up; ${os.cpus().length} CPUs, node ${process.version})`);
  } finally {
    await clickhouse.close();
    const admin = createClient({ url: service.url });
    await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
    await admin.close();
    await db.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
