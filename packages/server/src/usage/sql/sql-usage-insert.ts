import { sql, type Kysely } from 'kysely';
import { JoinedTextParam } from '../../store/joined-text-param.js';
import type { Database } from '../../store/schema.js';
import type { PackedStrings } from '../packed-strings.js';
import { USAGE_COLUMNS } from '../usage-columns.js';
import { CACHE_TTL_MS, type PricedUsageRecord } from '../usage-store.js';
import { SQL_ROW_SEPARATOR, sqlJsonRowsText } from './sql-usage-row.js';
import { bumpUsageVersions } from './sql-usage-version.js';

/**
 * Records per INSERT statement. The rows travel as one JSON parameter (json_to_recordset), not as
 * one bind parameter per column and row: measured about 2x faster on PGlite than a multi-row VALUES, and free
 * of PostgreSQL's 65,535-parameter limit.
 */
export const SQL_INSERT_CHUNK = 5000;

/**
 * Rows serialised per turn of the event loop. A 5,000-row chunk serialised at once held the
 * node's event loop ~5-20 ms, a stall of every socket it serves; in slices, each stall stays
 * about a millisecond. (OTLP's rows come serialised from its reader thread: insertJsonRows.)
 */
const JSON_SLICE_ROWS = 500;

/** The chunk as the JSON array parameter, built a slice at a time with the event loop free in between. */
async function chunkJson(records: readonly PricedUsageRecord[]): Promise<string> {
  const slices: string[] = [];
  for (let start = 0; start < records.length; start += JSON_SLICE_ROWS) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    slices.push(sqlJsonRowsText(records.slice(start, start + JSON_SLICE_ROWS)));
  }
  return `[${slices.join(SQL_ROW_SEPARATOR)}]`;
}

/** The columns written, the JSON fields read, and their types: all from USAGE_COLUMNS. */
const INSERT_COLUMNS = sql.raw(USAGE_COLUMNS.map((c) => c.name).join(', '));
const JSON_FIELDS = sql.raw(USAGE_COLUMNS.map((c) => c.short).join(', '));
const JSON_TYPES = sql.raw(USAGE_COLUMNS.map((c) => `${c.short} ${c.sqlType}`).join(', '));

/**
 * Inserts up to SQL_INSERT_CHUNK records and adds the ones actually written to the three rollups
 * (migration 0008), in ONE statement: the rollups can never disagree with the records, whatever
 * fails or runs concurrently. ON CONFLICT DO NOTHING skips keys already stored and a key repeated
 * within the chunk; RETURNING hands only the written rows on to the rollups. Rollup rows are
 * upserted in key order, so two ingests of one owner lock them in the same order. The same
 * statement gives the workspace a new usage version (migration 0018) when it wrote any record, so
 * no node answers from an analysis read it changed; that row is locked last, after the rollups',
 * as a re-pricing locks it.
 * Returns the number of records written.
 */
export async function insertChunk(db: Kysely<Database>, workspaceId: string, records: readonly PricedUsageRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  return insertJson(db, workspaceId, await chunkJson(records));
}

/**
 * As insertChunk, for rows already serialised by sqlJsonRow (packed with SQL_ROW_SEPARATOR): the
 * parameter is their text in brackets, sent in the pack's segments (store/joined-text-param.ts).
 */
export async function insertJsonRows(db: Kysely<Database>, workspaceId: string, rows: PackedStrings): Promise<number> {
  if (rows.ends.length === 0) return 0;
  if (rows.separator !== SQL_ROW_SEPARATOR) throw new TypeError(`SQL rows are packed with ${JSON.stringify(SQL_ROW_SEPARATOR)}, got ${JSON.stringify(rows.separator)}`);
  return insertJson(db, workspaceId, new JoinedTextParam('[', rows.segments, rows.separator, ']'));
}

async function insertJson(db: Kysely<Database>, workspaceId: string, json: string | JoinedTextParam): Promise<number> {
  const ttl = sql.lit(CACHE_TTL_MS);
  const result = await sql<{ inserted: number }>`
    WITH written AS (
      INSERT INTO usage_records (owner_id, ${INSERT_COLUMNS})
      SELECT ${workspaceId}::uuid, ${JSON_FIELDS}
      FROM json_to_recordset(${json}::json) AS x(${JSON_TYPES})
      ON CONFLICT (owner_id, record_key) DO NOTHING
      RETURNING *
    ),
    daily AS (
      INSERT INTO usage_daily AS d
      SELECT ${workspaceId}::uuid, (ts AT TIME ZONE 'UTC')::date AS day, provider, model, project, feature, status, interactive, batch,
        count(*), count(*) FILTER (WHERE attempt > 1), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_usd), 0),
        count(*) FILTER (WHERE cost_usd IS NULL), coalesce(sum(latency_ms), 0), count(latency_ms), min(ts), max(ts),
        sum(cache_write_1h_tokens)
      FROM written
      GROUP BY 2, provider, model, project, feature, status, interactive, batch
      ORDER BY 2, provider, model, project, feature, status, interactive, batch
      ON CONFLICT ON CONSTRAINT usage_daily_group DO UPDATE SET
        requests = d.requests + excluded.requests,
        retries = d.retries + excluded.retries,
        input_tokens = d.input_tokens + excluded.input_tokens,
        output_tokens = d.output_tokens + excluded.output_tokens,
        cache_read_tokens = d.cache_read_tokens + excluded.cache_read_tokens,
        cache_write_tokens = d.cache_write_tokens + excluded.cache_write_tokens,
        cache_write_1h_tokens = d.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
        reasoning_tokens = d.reasoning_tokens + excluded.reasoning_tokens,
        cost_usd = d.cost_usd + excluded.cost_usd,
        unpriced_requests = d.unpriced_requests + excluded.unpriced_requests,
        latency_ms_sum = d.latency_ms_sum + excluded.latency_ms_sum,
        latency_count = d.latency_count + excluded.latency_count,
        first_ts = least(d.first_ts, excluded.first_ts),
        last_ts = greatest(d.last_ts, excluded.last_ts)
    ),
    prefixes AS (
      INSERT INTO usage_prefix_buckets AS b
      SELECT ${workspaceId}::uuid, model, provider, project, feature, prompt_prefix_hash,
        floor(extract(epoch FROM ts) * 1000 / ${ttl})::bigint AS bucket,
        count(*), coalesce(sum(prefix_tokens), 0), sum(cache_read_tokens), sum(cache_write_tokens), min(ts), max(ts),
        sum(cache_write_1h_tokens)
      FROM written
      WHERE prompt_prefix_hash IS NOT NULL
      GROUP BY model, provider, project, feature, prompt_prefix_hash, 7
      ORDER BY model, provider, project, feature, prompt_prefix_hash, 7
      ON CONFLICT ON CONSTRAINT usage_prefix_buckets_group DO UPDATE SET
        calls = b.calls + excluded.calls,
        prefix_tokens = b.prefix_tokens + excluded.prefix_tokens,
        cache_read_tokens = b.cache_read_tokens + excluded.cache_read_tokens,
        cache_write_tokens = b.cache_write_tokens + excluded.cache_write_tokens,
        cache_write_1h_tokens = b.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
        first_ts = least(b.first_ts, excluded.first_ts),
        last_ts = greatest(b.last_ts, excluded.last_ts)
    ),
    outputs AS (
      INSERT INTO usage_output_sizes AS o
      SELECT ${workspaceId}::uuid, model, provider, project, feature, output_tokens,
        count(*), count(max_output_tokens), coalesce(sum(max_output_tokens), 0)
      FROM written
      WHERE status = 'ok'
      GROUP BY model, provider, project, feature, output_tokens
      ORDER BY model, provider, project, feature, output_tokens
      ON CONFLICT ON CONSTRAINT usage_output_sizes_group DO UPDATE SET
        calls = o.calls + excluded.calls,
        limited_requests = o.limited_requests + excluded.limited_requests,
        max_output_tokens_sum = o.max_output_tokens_sum + excluded.max_output_tokens_sum
    ),
    versioned AS (
      ${bumpUsageVersions(sql`SELECT ${workspaceId}::uuid WHERE EXISTS (SELECT 1 FROM written)`)}
    )
    SELECT count(*)::int AS inserted FROM written`.execute(db);
  return result.rows[0]?.inserted ?? 0;
}
