import type { ClickHouseClient } from '@clickhouse/client';
import { ensureRollups } from './clickhouse-rollups.js';
import { clickHouseSql, columnDefinition, identifier, list, string, toEpochMs, type ClickHouseSql } from './clickhouse-literals.js';
import { wellFormed } from '../well-formed-text.js';
import { clickHouseColumnName, USAGE_COLUMNS, type UsageColumnKind, type UsageColumnSpec } from '../usage-columns.js';
import type { PricedUsageRecord } from '../usage-store.js';

/**
 * The ClickHouse tables of the usage store, written for hundreds of millions of rows and for
 * ClickHouse 18.16 on (no DateTime64, no LowCardinality without a setting).
 *
 * `usage_records`: one row per call. ReplacingMergeTree ordered by (owner_id, ts_ms, key_hash)
 * and partitioned by month: every query reads one owner's contiguous range, narrowed by time
 * through the primary index, and a month can be dropped or re-merged on its own. A second copy of
 * a record (a concurrent or retried ingest) has the same key and time, so it shares the whole
 * sorting key with the first and merges, and `FINAL` at read time, keep exactly one. The key
 * enters the sorting key as a 64-bit hash: `FINAL` reads 8 bytes a row instead of a ~70-byte key
 * (measured: about 3x less overhead); two different records would need the same owner, the same
 * millisecond and a 64-bit hash collision to be taken for one.
 *
 * `usage_record_keys`: (owner_id, record_key) only, ordered by exactly that, so the insert's "which
 * of these keys exist?" reads only the granules that can hold the keys, through the primary
 * index, instead of the owner's whole key column however many rows the owner has.
 *
 * Time is `ts_ms` (Int64 epoch milliseconds, the precision the API reports); `day` is the UTC day
 * derived from it by ClickHouse, so grouping by day needs no time-zone arithmetic at query time.
 * `status` is an Enum8 numbered in alphabetical order, so ordering by it orders by its name.
 */
export function usageSchemaStatements(database: string): ClickHouseSql[] {
  const recordColumns = list([
    columnDefinition('owner_id', 'UUID'),
    ...USAGE_COLUMNS.flatMap((c) => [
      columnDefinition(clickHouseColumnName(c), c.clickHouseType),
      ...('clickHouseDerived' in c ? [columnDefinition(c.clickHouseDerived.name, c.clickHouseDerived.type)] : []),
    ]),
  ]);
  const db = identifier(database);
  return [
    clickHouseSql`CREATE DATABASE IF NOT EXISTS ${db}`,
    clickHouseSql`CREATE TABLE IF NOT EXISTS ${db}.usage_records (
      ${recordColumns}
    ) ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(day)
    ORDER BY (owner_id, ts_ms, key_hash)`,
    // Small granules: a lookup of random keys reads about one granule per key, so fewer rows each.
    clickHouseSql`CREATE TABLE IF NOT EXISTS ${db}.usage_record_keys (
      owner_id UUID,
      record_key String
    ) ENGINE = ReplacingMergeTree()
    ORDER BY (owner_id, record_key)
    SETTINGS index_granularity = 256`,
  ];
}

/**
 * Columns added after a table's first release, each with the column it follows: CREATE TABLE IF
 * NOT EXISTS leaves an existing table as it was, so a store created by an older Tally gets them
 * by ALTER. `AFTER` keeps every table's column order the same whichever way it was made (the
 * rollups are filled by positional INSERT … SELECT). Old rows read the default: 1-hour cache
 * writes (issue 15) are 0 in records stored before them, which count as 5-minute writes.
 */
const ADDED_COLUMNS: readonly { table: string; column: string; type: string; after: string }[] = [
  { table: 'usage_records', column: 'cache_write_1h_tokens', type: 'UInt64 DEFAULT 0', after: 'cache_write_tokens' },
  { table: 'usage_daily', column: 'cache_write_1h_tokens', type: 'UInt64 DEFAULT 0', after: 'cache_write_tokens' },
  { table: 'usage_prefix_buckets', column: 'cache_write_1h_tokens', type: 'UInt64 DEFAULT 0', after: 'cache_write_tokens' },
];

/** Creates the database and tables if missing, and adds missing columns; safe to run on every start, from every node. */
export async function ensureUsageSchema(client: ClickHouseClient, database: string): Promise<void> {
  for (const statement of usageSchemaStatements(database)) await client.command({ query: statement.text });
  // The records first: rolling up a missing rollup table reads their new columns.
  await ensureAddedColumns(client, database, 'usage_records');
  await ensureRollups(client, database);
  await ensureAddedColumns(client, database);
}

/**
 * Adds the ADDED_COLUMNS a table lacks (all tables, or one). ClickHouse 18.16 has no ADD COLUMN
 * IF NOT EXISTS: the column is looked up in system.columns, and a node that loses the race to
 * add it checks again rather than failing.
 */
async function ensureAddedColumns(client: ClickHouseClient, database: string, only?: string): Promise<void> {
  for (const { table, column, type, after } of ADDED_COLUMNS) {
    if (only !== undefined && table !== only) continue;
    const exists = async () => {
      const result = await client.query({
        query: clickHouseSql`SELECT count() FROM system.columns WHERE database = ${string(database)} AND table = ${string(table)} AND name = ${string(column)}`.text,
        format: 'TabSeparated',
      });
      return (await result.text()).trim() === '1';
    };
    if (await exists()) continue;
    try {
      await client.command({ query: `ALTER TABLE ${identifier(database).text}.${identifier(table).text} ADD COLUMN ${identifier(column).text} ${type} AFTER ${identifier(after).text}` });
    } catch (error) {
      if (!(await exists())) throw error;
    }
  }
}

type ColumnValue<K extends UsageColumnKind> = K extends 'text' | 'status'
  ? string
  : K extends 'optionalText'
    ? string | null
    : K extends 'time' | 'count' | 'number'
      ? number
      : K extends 'flag'
        ? 0 | 1
        : number | null;

/** A row of `usage_records` as sent in JSONEachRow (data, never SQL text): one value per USAGE_COLUMNS entry. */
export type ClickHouseUsageRow = { owner_id: string } & {
  [C in UsageColumnSpec as C extends { clickHouseName: string } ? C['clickHouseName'] : C['name']]: ColumnValue<C['kind']>;
};

/** DateTime (which `day` is derived through) holds 1970-01-01 to 2106-02-07. */
const MAX_TS_MS = 4_294_967_295_000;
/** PostgreSQL's `integer`: the SQL store refuses larger counts, so this one does too. */
const MAX_INT = 2_147_483_647;

/**
 * The row for one priced record, every value checked for the column it goes to: JSONEachRow would
 * otherwise wrap an out-of-range integer or turn a non-finite number into an error mid-batch.
 * Written out as one literal (a loop over USAGE_COLUMNS built rows about 3x slower); its type,
 * derived from USAGE_COLUMNS, makes it name every column.
 */
export function toClickHouseRow(workspaceId: string, { record: r, key, costUsd }: PricedUsageRecord): ClickHouseUsageRow {
  const tsMs = toEpochMs(r.ts);
  if (tsMs < 0 || tsMs >= MAX_TS_MS) throw new RangeError(`ts out of the range ClickHouse can store: ${r.ts}`);
  return {
    owner_id: workspaceId,
    record_key: text(key),
    ts_ms: tsMs,
    provider: optionalText(r.provider),
    model: text(r.model),
    project: text(r.project),
    feature: text(r.feature),
    end_user: optionalText(r.user),
    input_tokens: count(r.inputTokens, 'inputTokens'),
    output_tokens: count(r.outputTokens, 'outputTokens'),
    cache_read_tokens: count(r.cacheReadTokens, 'cacheReadTokens'),
    cache_write_tokens: count(r.cacheWriteTokens, 'cacheWriteTokens'),
    cache_write_1h_tokens: count(r.cacheWrite1hTokens, 'cacheWrite1hTokens'),
    reasoning_tokens: optionalCount(r.reasoningTokens, 'reasoningTokens'),
    latency_ms: optionalNumber(r.latencyMs, 'latencyMs'),
    status: r.status,
    interactive: r.interactive ? 1 : 0,
    batch: r.batch ? 1 : 0,
    max_output_tokens: optionalCount(r.maxOutputTokens, 'maxOutputTokens'),
    prompt_prefix_hash: optionalText(r.promptPrefixHash),
    prefix_tokens: optionalCount(r.prefixTokens, 'prefixTokens'),
    attempt: count(r.attempt, 'attempt'),
    source_cost_usd: optionalNumber(r.costUsd, 'costUsd'),
    cost_usd: optionalNumber(costUsd ?? undefined, 'cost'),
  };
}

/**
 * One record's line of a JSONEachRow insert into usage_records: THE serialisation of a ClickHouse
 * row, used by the object insert and by OTLP's reader thread alike. Throws RangeError for a value
 * the column cannot hold (toClickHouseRow). Text is well-formed already, so JSON.stringify writes
 * no lone-surrogate escapes.
 */
export function clickHouseJsonRow(workspaceId: string, priced: PricedUsageRecord): string {
  return JSON.stringify(toClickHouseRow(workspaceId, priced));
}

/** What separates JSONEachRow lines (packed rows use it as their separator). */
export const CLICKHOUSE_ROW_SEPARATOR = '\n';

/** Strings go as UTF-8; a lone surrogate becomes U+FFFD as it does on the way to PostgreSQL. */
function text(value: string): string {
  return wellFormed(value);
}

function optionalText(value: string | undefined): string | null {
  return value === undefined ? null : text(value);
}

function count(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_INT) throw new RangeError(`${field} must be a whole number from 0 to ${MAX_INT}, got ${value}`);
  return value;
}

function optionalCount(value: number | undefined, field: string): number | null {
  return value === undefined ? null : count(value, field);
}

function optionalNumber(value: number | undefined, field: string): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value)) throw new RangeError(`${field} must be a finite number, got ${value}`);
  return value;
}
