import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import { DAY_MS, type DayRange } from '../day-range.js';
import { usageVersionOf } from './sql-usage-version.js';
import { CACHE_TTL_MS, type AnalysisReads, type OutputStatRow, type PrefixStatRow, type UsageAggregateRow, type VersionedOverview } from '../usage-store.js';

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `AND`-conditions on a rollup's `day` column for the range. */
function onDays(range: DayRange): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (range.fromMs !== undefined) parts.push(sql`AND day >= ${isoDay(range.fromMs)}::date`);
  if (range.toMs !== undefined) parts.push(sql`AND day < ${isoDay(range.toMs)}::date`);
  return sql.join(parts, sql` `);
}

/** `AND`-conditions on the prefix rollup's `bucket` (epoch ms / TTL): midnights are bucket edges. */
function onBuckets(range: DayRange): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (range.fromMs !== undefined) parts.push(sql`AND bucket >= ${sql.lit(range.fromMs / CACHE_TTL_MS)}`);
  if (range.toMs !== undefined) parts.push(sql`AND bucket < ${sql.lit(range.toMs / CACHE_TTL_MS)}`);
  return sql.join(parts, sql` `);
}

/*
 * Casts and orderings are those of the record queries (sql-usage-raw-reads.ts): ::int / ::float8
 * for plain JS numbers on both engines, COLLATE "C" for byte order.
 */

/** With `withVersion`, the usage version (migration 0018) rides along; else the version is null. */
export async function overviewFromRollups(db: Kysely<Database>, workspaceId: string, range: DayRange, withVersion = false): Promise<VersionedOverview> {
  const iso = (column: string) => sql<string | null>`to_char(${sql.raw(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  // One round trip (triage reads it for every question): the models ride along as a JSON array,
  // in byte order as the record read gives them, and the usage version (migration 0018) from the
  // same snapshot.
  const result = await sql<{ records: number; first: string | null; last: string | null; models: string[] | string; version: string | null }>`
    SELECT coalesce(sum(requests), 0)::float8 AS records, ${iso('min(first_ts)')} AS first, ${iso('max(last_ts)')} AS last,
      (SELECT coalesce(json_agg(model ORDER BY model COLLATE "C"), '[]'::json)
       FROM (SELECT DISTINCT model FROM usage_daily WHERE owner_id = ${workspaceId} ${onDays(range)}) m) AS models,
      ${withVersion ? sql`${usageVersionOf(workspaceId)}::text` : sql`NULL::text`} AS version
    FROM usage_daily WHERE owner_id = ${workspaceId} ${onDays(range)}`.execute(db);
  const t = result.rows[0]!;
  const models = typeof t.models === 'string' ? (JSON.parse(t.models) as string[]) : t.models;
  return { overview: { records: t.records, from: t.first, to: t.last, models }, version: t.version };
}

export async function aggregateFromRollups(db: Kysely<Database>, workspaceId: string, range: DayRange): Promise<UsageAggregateRow[]> {
  return (await aggregateQuery(workspaceId, range).execute(db)).rows;
}

function aggregateQuery(workspaceId: string, range: DayRange): RawBuilder<UsageAggregateRow> {
  return sql<UsageAggregateRow>`
    SELECT to_char(day::timestamp, 'YYYY-MM-DD') AS day, provider, model, project, feature, status, interactive, batch,
      sum(requests)::int AS "requests",
      sum(retries)::int AS "retries",
      sum(input_tokens)::float8 AS "inputTokens",
      sum(output_tokens)::float8 AS "outputTokens",
      sum(cache_read_tokens)::float8 AS "cacheReadTokens",
      sum(cache_write_tokens)::float8 AS "cacheWriteTokens",
      sum(cache_write_1h_tokens)::float8 AS "cacheWrite1hTokens",
      sum(reasoning_tokens)::float8 AS "reasoningTokens",
      sum(cost_usd)::float8 AS "costUsd",
      sum(unpriced_requests)::int AS "unpricedRequests",
      sum(latency_ms_sum)::float8 AS "latencyMsSum",
      sum(latency_count)::int AS "latencyCount",
      (extract(epoch FROM min(first_ts)) * 1000)::float8 AS "firstMs",
      (extract(epoch FROM max(last_ts)) * 1000)::float8 AS "lastMs"
    FROM usage_daily WHERE owner_id = ${workspaceId} ${onDays(range)}
    GROUP BY day, provider, model, project, feature, status, interactive, batch
    ORDER BY day, provider COLLATE "C", model COLLATE "C", project COLLATE "C", feature COLLATE "C", status COLLATE "C", interactive, batch`;
}

export async function prefixStatsFromRollups(db: Kysely<Database>, workspaceId: string, range: DayRange): Promise<PrefixStatRow[]> {
  return (await prefixStatsQuery(workspaceId, range).execute(db)).rows.map(prefixStatRow);
}

type PrefixStatsQueryRow = Omit<PrefixStatRow, 'days' | 'promptPrefixHash'> & { prompt_prefix_hash: string; activeDays: number };

function prefixStatRow({ prompt_prefix_hash, ...r }: PrefixStatsQueryRow): PrefixStatRow {
  return { ...r, promptPrefixHash: prompt_prefix_hash, days: r.requests / r.activeDays };
}

function prefixStatsQuery(workspaceId: string, range: DayRange): RawBuilder<PrefixStatsQueryRow> {
  // A bucket is 5 minutes wide (the TTL): every gap inside one is below the TTL, so only a
  // bucket's first call can be cold, when it comes more than the TTL after the previous bucket's
  // last call with the prefix, or when no bucket comes before it. Active days are counted where
  // the day changes from one bucket to the next, in the window's own order: a count(DISTINCT day)
  // sorted every bucket row a second time (15k rows at a million calls, most of the query's time).
  const perDay = sql.lit(DAY_MS / CACHE_TTL_MS);
  return sql<PrefixStatsQueryRow>`
    SELECT model, provider, project, feature, prompt_prefix_hash,
      sum(calls::float8) AS "requests",
      sum(prefix_tokens::float8) AS "prefixTokens",
      sum(cache_read_tokens::float8) AS "cacheReadTokens",
      sum(cache_write_tokens::float8) AS "cacheWriteTokens",
      sum(cache_write_1h_tokens::float8) AS "cacheWrite1hTokens",
      (count(*) FILTER (WHERE previous_last IS NULL OR first_ts - previous_last > ${sql.lit(`${CACHE_TTL_MS} milliseconds`)}::interval))::int AS "coldStarts",
      (count(*) FILTER (WHERE previous_bucket IS NULL OR previous_bucket / ${perDay} <> bucket / ${perDay}))::int AS "activeDays"
    FROM (
      SELECT *, lag(last_ts) OVER slice AS previous_last, lag(bucket) OVER slice AS previous_bucket
      FROM usage_prefix_buckets WHERE owner_id = ${workspaceId} ${onBuckets(range)}
      WINDOW slice AS (PARTITION BY model, provider, project, feature, prompt_prefix_hash ORDER BY bucket)
    ) b
    GROUP BY model, provider, project, feature, prompt_prefix_hash
    HAVING sum(calls::float8) > 1
    ORDER BY model COLLATE "C", provider COLLATE "C", project COLLATE "C", feature COLLATE "C", prompt_prefix_hash COLLATE "C"`;
}

/**
 * Output stats over all of the owner's calls (the rollup has no time: see migration 0008), one row
 * per group from the database: each size row carries the running count of calls through it, so
 * the value at a 0-based rank is the first size whose running count passes it. The percentile is
 * percentile_cont's own arithmetic in float8 (the position p * (n - 1), then lo + frac * (hi - lo)),
 * so it is bit for bit what percentile_cont gives over the records. Reading the groups' few rows
 * instead of every distinct size (thousands at a million calls) keeps the rows that cross from the
 * database thread to a handful.
 */
export async function outputStatsFromRollups(db: Kysely<Database>, workspaceId: string): Promise<OutputStatRow[]> {
  return (await outputStatsQuery(workspaceId).execute(db)).rows;
}

function outputStatsQuery(workspaceId: string): RawBuilder<OutputStatRow> {
  const percentile = (p: string) => {
    const position = sql.raw(`(${p}::float8 * (total - 1))`);
    const lo = sql`min(output_tokens) FILTER (WHERE through > floor(${position}))::float8`;
    const hi = sql`min(output_tokens) FILTER (WHERE through > ceil(${position}))::float8`;
    return sql`${lo} + (${position} - floor(${position})) * (${hi} - ${lo})`;
  };
  return sql<OutputStatRow>`
    SELECT model, provider, project, feature,
      total AS "requests",
      sum(limited_requests)::float8 AS "limitedRequests",
      CASE WHEN sum(limited_requests) = 0 THEN 0::float8 ELSE sum(max_output_tokens_sum)::float8 / sum(limited_requests)::float8 END AS "meanMaxOutputTokens",
      ${percentile('0.5')} AS "p50OutputTokens",
      ${percentile('0.99')} AS "p99OutputTokens",
      max(output_tokens)::int AS "maxOutputTokensSeen"
    FROM (
      SELECT *,
        sum(calls::float8) OVER (PARTITION BY model, provider, project, feature ORDER BY output_tokens) AS through,
        sum(calls::float8) OVER (PARTITION BY model, provider, project, feature) AS total
      FROM usage_output_sizes WHERE owner_id = ${workspaceId}
    ) sizes
    GROUP BY model, provider, project, feature, total
    ORDER BY model COLLATE "C", provider COLLATE "C", project COLLATE "C", feature COLLATE "C"`;
}

/** What a versioned analysis read found: the rollups still at the version the caller knows, or the reads and their version. */
export type VersionedReadOutcome = { changed: false } | { changed: true; version: string | null; reads: AnalysisReads };

/**
 * The three reads of the analysis over the whole history, in one statement: each query's rows as a
 * JSON array, in its own order (an ordered subquery's order is the aggregate's input order; the
 * row number makes it explicit). Numbers come back as the separate reads give them: float8 and
 * integers print exactly in JSON (shortest round-trip digits), strings as strings.
 *
 * When the rollups are still at `knownVersion`, the three queries are not run at all (each is an
 * InitPlan, evaluated only when its CASE branch asks for it): the caller keeps what it read at that
 * version. The version and the rows come from the statement's one snapshot.
 */
export async function analysisReadsFromRollups(db: Kysely<Database>, workspaceId: string, knownVersion: string | null): Promise<VersionedReadOutcome> {
  // json, not jsonb: its numbers are float8's own text, not a numeric conversion of it.
  const asJson = (query: RawBuilder<unknown>) =>
    sql`CASE WHEN v.version = ${knownVersion}::bigint THEN NULL
      ELSE (SELECT coalesce(json_agg(q ORDER BY q.n), '[]'::json) FROM (SELECT r.*, row_number() OVER () AS n FROM (${query}) r) q) END`;
  const result = await sql<{ version: string | null; rows: unknown; prefix: unknown; output: unknown }>`
    SELECT v.version::text AS version,
      ${asJson(aggregateQuery(workspaceId, {}))} AS rows,
      ${asJson(prefixStatsQuery(workspaceId, {}))} AS prefix,
      ${asJson(outputStatsQuery(workspaceId))} AS output
    FROM (SELECT ${usageVersionOf(workspaceId)} AS version) v`.execute(db);
  const row = result.rows[0]!;
  if (row.rows === null) return { changed: false };
  const parsed = <T>(value: unknown) =>
    ((typeof value === 'string' ? JSON.parse(value) : value) as Array<T & { n?: number }>).map(({ n: _n, ...row }) => row as T);
  return {
    changed: true,
    version: row.version,
    reads: {
      rows: parsed<UsageAggregateRow>(row.rows),
      prefixStats: parsed<PrefixStatsQueryRow>(row.prefix).map(prefixStatRow),
      outputStats: parsed<OutputStatRow>(row.output),
    },
  };
}
