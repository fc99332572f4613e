import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseSql, identifier, int, list, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { CACHE_TTL_MS } from '../usage-store.js';

/**
 * Rollups of `usage_records` that stay exact under duplicates and racing inserts.
 *
 * A rollup row is never added to: after each insert the store recomputes, from the records
 * through `FINAL` (so a record stored twice counts once), every rollup row of the owner's days
 * the batch touched, and inserts the results into a ReplacingMergeTree keyed by the row's group.
 * The version of a row is its call count. Records are only ever added, so a recomputation over a
 * later snapshot sees a superset and counts at least as many calls; equal counts mean the same
 * calls and so the same row. Hence whichever recomputation ClickHouse keeps (the highest count)
 * is the one over the newest snapshot, and the last recomputation to start after the last insert
 * has seen every record. Reads go through `FINAL` too, over tables far smaller than the records.
 *
 * Sorting keys cannot hold Nullable columns on ClickHouse 18.16: a nullable provider is kept as
 * `provider_null` + `provider_name` ('' when null), which also orders nulls last, as the records'
 * queries do.
 *
 * `usage_daily`: per UTC day and the aggregate's 8 dimensions, with first and last call.
 * `usage_prefix_buckets`: per prompt prefix and 5-minute bucket (the cache TTL; buckets never
 * straddle a midnight). `usage_output_sizes`: successful calls per day, output-stats group and
 * output size.
 */
export function rollupTableStatements(database: string): { table: string; create: ClickHouseSql }[] {
  const db = identifier(database);
  return [
    {
      table: 'usage_daily',
      create: clickHouseSql`CREATE TABLE IF NOT EXISTS ${db}.usage_daily (
        owner_id UUID, day Date,
        provider_null UInt8, provider_name String, model String, project String, feature String,
        status Enum8('error' = 1, 'ok' = 2, 'timeout' = 3), interactive UInt8, batch UInt8,
        requests UInt64, retries UInt64,
        input_tokens UInt64, output_tokens UInt64, cache_read_tokens UInt64, cache_write_tokens UInt64,
        cache_write_1h_tokens UInt64 DEFAULT 0,
        reasoning_tokens UInt64, cost_usd Float64, unpriced_requests UInt64,
        latency_ms_sum Float64, latency_count UInt64,
        first_ms Int64, last_ms Int64
      ) ENGINE = ReplacingMergeTree(requests)
      ORDER BY (owner_id, day, provider_null, provider_name, model, project, feature, status, interactive, batch)`,
    },
    {
      table: 'usage_prefix_buckets',
      create: clickHouseSql`CREATE TABLE IF NOT EXISTS ${db}.usage_prefix_buckets (
        owner_id UUID, bucket Int64,
        provider_null UInt8, provider_name String, model String, project String, feature String,
        prompt_prefix_hash String,
        n_calls UInt64, first_ms Int64, last_ms Int64,
        prefix_tokens UInt64, cache_read_tokens UInt64, cache_write_tokens UInt64,
        cache_write_1h_tokens UInt64 DEFAULT 0
      ) ENGINE = ReplacingMergeTree(n_calls)
      ORDER BY (owner_id, bucket, model, provider_null, provider_name, project, feature, prompt_prefix_hash)`,
    },
    {
      table: 'usage_output_sizes',
      create: clickHouseSql`CREATE TABLE IF NOT EXISTS ${db}.usage_output_sizes (
        owner_id UUID, day Date,
        provider_null UInt8, provider_name String, model String, project String, feature String,
        output UInt32, n_calls UInt64, n_limited UInt64, limit_sum UInt64
      ) ENGINE = ReplacingMergeTree(n_calls)
      ORDER BY (owner_id, day, model, provider_null, provider_name, project, feature, output)`,
    },
  ];
}

/**
 * The three recomputations of the rollup rows of the records matching `where` (a condition on
 * `usage_records`); each is one INSERT … SELECT reading the records through FINAL.
 */
export function rollupRecomputations(database: string, where: ClickHouseSql): ClickHouseSql[] {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records FINAL`;
  const ttl = int(CACHE_TTL_MS);
  return [
    clickHouseSql`INSERT INTO ${db}.usage_daily
      SELECT owner_id, day, isNull(provider), ifNull(provider, ''), model, project, feature, status, interactive, batch,
        count(), countIf(attempt > 1),
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(cache_write_1h_tokens),
        ifNull(sum(reasoning_tokens), 0), ifNull(sum(cost_usd), 0), countIf(isNull(cost_usd)),
        ifNull(sum(latency_ms), 0), count(latency_ms),
        min(ts_ms), max(ts_ms)
      FROM ${records} WHERE ${where}
      GROUP BY owner_id, day, provider, model, project, feature, status, interactive, batch`,
    clickHouseSql`INSERT INTO ${db}.usage_prefix_buckets
      SELECT owner_id, intDiv(ts_ms, ${ttl}), isNull(provider), ifNull(provider, ''), model, project, feature,
        assumeNotNull(prompt_prefix_hash),
        count(), min(ts_ms), max(ts_ms),
        ifNull(sum(prefix_tokens), 0), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(cache_write_1h_tokens)
      FROM ${records} WHERE (${where}) AND isNotNull(prompt_prefix_hash)
      GROUP BY owner_id, intDiv(ts_ms, ${ttl}), provider, model, project, feature, prompt_prefix_hash`,
    clickHouseSql`INSERT INTO ${db}.usage_output_sizes
      SELECT owner_id, day, isNull(provider), ifNull(provider, ''), model, project, feature,
        output_tokens, count(), count(max_output_tokens), ifNull(sum(max_output_tokens), 0)
      FROM ${records} WHERE (${where}) AND status = 'ok'
      GROUP BY owner_id, day, provider, model, project, feature, output_tokens`,
  ];
}

const DAY_MS = 86_400_000;

/** The owner's records on the given UTC days (epoch day numbers), through the primary index. */
export function workspaceDays(workspaceId: string, days: readonly number[]): ClickHouseSql {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('no days to roll up');
  return clickHouseSql`owner_id = ${uuid(workspaceId)} AND ts_ms >= ${int(first * DAY_MS)} AND ts_ms < ${int((last + 1) * DAY_MS)}
    AND intDiv(ts_ms, ${int(DAY_MS)}) IN (${list(sorted.map(int))})`;
}

export const epochDay = (tsMs: number): number => Math.floor(tsMs / DAY_MS);

/**
 * Creates the rollup tables, and rolls up every record already stored into a table that did not
 * exist yet (a store upgraded from before the rollups). A node starting at the same moment may
 * roll up too: the recomputation is idempotent.
 */
export async function ensureRollups(client: ClickHouseClient, database: string): Promise<void> {
  const missing: string[] = [];
  for (const { table, create } of rollupTableStatements(database)) {
    const result = await client.query({ query: clickHouseSql`EXISTS TABLE ${identifier(database)}.${identifier(table)}`.text, format: 'TabSeparated' });
    if ((await result.text()).trim() !== '1') missing.push(table);
    await client.command({ query: create.text });
  }
  if (missing.length === 0) return;
  const all = rollupRecomputations(database, clickHouseSql`1`);
  const tables = rollupTableStatements(database).map((t) => t.table);
  for (const [i, statement] of all.entries()) {
    if (missing.includes(tables[i]!)) await client.command({ query: statement.text });
  }
}
