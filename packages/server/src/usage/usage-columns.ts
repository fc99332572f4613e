import type { UsageRecord } from '@tally/protocol';

/**
 * The columns a usage record is stored in, in both stores: the one list the SQL insert's column
 * and JSON lists, the ClickHouse table, and re-pricing's rewrite of a row are built from, and
 * the one the two row builders (sql-usage-insert.ts, clickhouse-schema.ts) are typed by, so
 * neither can leave a column out. A field added to the record format is stored once it has a line here (and a migration / an ADDED_COLUMNS entry).
 *
 * `kind` says what a value is (the row types follow it: booleans go as true/false or 0/1, time as
 * ISO or epoch ms).
 * `short` is the name in the SQL insert's JSON parameter: short names keep a 5,000-record chunk
 * about half the size. The order is the ClickHouse table's (its rollups are filled positionally).
 */
export type UsageColumnKind = 'text' | 'optionalText' | 'time' | 'count' | 'optionalCount' | 'number' | 'optionalNumber' | 'flag' | 'status';

export interface UsageColumn {
  /** Column name in usage_records (the SQL one; ClickHouse's differs only where `clickHouseName` says). */
  readonly name: string;
  /** The record field stored, or the priced record's key / computed cost. */
  readonly field: keyof UsageRecord | 'key' | 'cost';
  readonly kind: UsageColumnKind;
  readonly short: string;
  /** The type in PostgreSQL's json_to_recordset (matches the migration's column type). */
  readonly sqlType: string;
  readonly clickHouseName?: string;
  readonly clickHouseType: string;
  /** ClickHouse-only columns derived from this one, declared right after it. */
  readonly clickHouseDerived?: { readonly name: string; readonly type: string };
}

export const USAGE_COLUMNS = [
  { name: 'record_key', field: 'key', kind: 'text', short: 'k', sqlType: 'text', clickHouseType: 'String', clickHouseDerived: { name: 'key_hash', type: 'UInt64 MATERIALIZED cityHash64(record_key)' } },
  {
    name: 'ts',
    field: 'ts',
    kind: 'time',
    short: 'ts',
    sqlType: 'timestamptz',
    clickHouseName: 'ts_ms',
    clickHouseType: 'Int64',
    clickHouseDerived: { name: 'day', type: "Date MATERIALIZED toDate(toDateTime(intDiv(ts_ms, 1000), 'UTC'))" },
  },
  { name: 'provider', field: 'provider', kind: 'optionalText', short: 'p', sqlType: 'text', clickHouseType: 'Nullable(String)' },
  { name: 'model', field: 'model', kind: 'text', short: 'm', sqlType: 'text', clickHouseType: 'String' },
  { name: 'project', field: 'project', kind: 'text', short: 'pr', sqlType: 'text', clickHouseType: 'String' },
  { name: 'feature', field: 'feature', kind: 'text', short: 'f', sqlType: 'text', clickHouseType: 'String' },
  { name: 'end_user', field: 'user', kind: 'optionalText', short: 'u', sqlType: 'text', clickHouseType: 'Nullable(String)' },
  { name: 'input_tokens', field: 'inputTokens', kind: 'count', short: 'i', sqlType: 'integer', clickHouseType: 'UInt32' },
  { name: 'output_tokens', field: 'outputTokens', kind: 'count', short: 'o', sqlType: 'integer', clickHouseType: 'UInt32' },
  { name: 'cache_read_tokens', field: 'cacheReadTokens', kind: 'count', short: 'cr', sqlType: 'integer', clickHouseType: 'UInt32' },
  { name: 'cache_write_tokens', field: 'cacheWriteTokens', kind: 'count', short: 'cw', sqlType: 'integer', clickHouseType: 'UInt32' },
  { name: 'cache_write_1h_tokens', field: 'cacheWrite1hTokens', kind: 'count', short: 'cw1', sqlType: 'bigint', clickHouseType: 'UInt64 DEFAULT 0' },
  { name: 'reasoning_tokens', field: 'reasoningTokens', kind: 'optionalCount', short: 'rt', sqlType: 'integer', clickHouseType: 'Nullable(UInt32)' },
  { name: 'latency_ms', field: 'latencyMs', kind: 'optionalNumber', short: 'l', sqlType: 'double precision', clickHouseType: 'Nullable(Float64)' },
  { name: 'status', field: 'status', kind: 'status', short: 's', sqlType: 'text', clickHouseType: "Enum8('error' = 1, 'ok' = 2, 'timeout' = 3)" },
  { name: 'interactive', field: 'interactive', kind: 'flag', short: 'it', sqlType: 'boolean', clickHouseType: 'UInt8' },
  { name: 'batch', field: 'batch', kind: 'flag', short: 'b', sqlType: 'boolean', clickHouseType: 'UInt8' },
  { name: 'max_output_tokens', field: 'maxOutputTokens', kind: 'optionalCount', short: 'mo', sqlType: 'integer', clickHouseType: 'Nullable(UInt32)' },
  { name: 'prompt_prefix_hash', field: 'promptPrefixHash', kind: 'optionalText', short: 'ph', sqlType: 'text', clickHouseType: 'Nullable(String)' },
  { name: 'prefix_tokens', field: 'prefixTokens', kind: 'optionalCount', short: 'pt', sqlType: 'integer', clickHouseType: 'Nullable(UInt32)' },
  { name: 'attempt', field: 'attempt', kind: 'count', short: 'a', sqlType: 'integer', clickHouseType: 'UInt32' },
  { name: 'source_cost_usd', field: 'costUsd', kind: 'optionalNumber', short: 'sc', sqlType: 'double precision', clickHouseType: 'Nullable(Float64)' },
  { name: 'cost_usd', field: 'cost', kind: 'optionalNumber', short: 'c', sqlType: 'double precision', clickHouseType: 'Nullable(Float64)' },
] as const satisfies readonly UsageColumn[];

export type UsageColumnSpec = (typeof USAGE_COLUMNS)[number];

/** The column's name in ClickHouse. */
export function clickHouseColumnName(column: UsageColumn): string {
  return column.clickHouseName ?? column.name;
}
