import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import { percentileCont } from './percentile-cont.js';
import { DAY_MS, type DayRange } from '../day-range.js';
import { CACHE_TTL_MS, type OutputStatRow, type PrefixStatRow, type UsageAggregateRow, type UsageOverview } from '../usage-store.js';

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

export async function overviewFromRollups(db: Kysely<Database>, ownerId: string, range: DayRange): Promise<UsageOverview> {
  const iso = (column: string) => sql<string | null>`to_char(${sql.raw(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const totals = await sql<{ records: number; first: string | null; last: string | null }>`
    SELECT coalesce(sum(requests), 0)::float8 AS records, ${iso('min(first_ts)')} AS first, ${iso('max(last_ts)')} AS last
    FROM usage_daily WHERE owner_id = ${ownerId} ${onDays(range)}`.execute(db);
  const models = await sql<{ model: string }>`
    SELECT model FROM usage_daily WHERE owner_id = ${ownerId} ${onDays(range)}
    GROUP BY model ORDER BY model COLLATE "C"`.execute(db);
  const t = totals.rows[0]!;
  return { records: t.records, from: t.first, to: t.last, models: models.rows.map((m) => m.model) };
}

export async function aggregateFromRollups(db: Kysely<Database>, ownerId: string, range: DayRange): Promise<UsageAggregateRow[]> {
  const result = await sql<UsageAggregateRow>`
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
    FROM usage_daily WHERE owner_id = ${ownerId} ${onDays(range)}
    GROUP BY day, provider, model, project, feature, status, interactive, batch
    ORDER BY day, provider COLLATE "C", model COLLATE "C", project COLLATE "C", feature COLLATE "C", status COLLATE "C", interactive, batch`.execute(db);
  return result.rows;
}

export async function prefixStatsFromRollups(db: Kysely<Database>, ownerId: string, range: DayRange): Promise<PrefixStatRow[]> {
  // A bucket is 5 minutes wide (the TTL): every gap inside one is below the TTL, so only a
  // bucket's first call can be cold, when it comes more than the TTL after the previous bucket's
  // last call with the prefix, or when no bucket comes before it.
  const result = await sql<Omit<PrefixStatRow, 'days' | 'promptPrefixHash'> & { prompt_prefix_hash: string; activeDays: number }>`
    SELECT model, provider, project, feature, prompt_prefix_hash,
      sum(calls::float8) AS "requests",
      sum(prefix_tokens::float8) AS "prefixTokens",
      sum(cache_read_tokens::float8) AS "cacheReadTokens",
      sum(cache_write_tokens::float8) AS "cacheWriteTokens",
      sum(cache_write_1h_tokens::float8) AS "cacheWrite1hTokens",
      (count(*) FILTER (WHERE previous_last IS NULL OR first_ts - previous_last > ${sql.lit(`${CACHE_TTL_MS} milliseconds`)}::interval))::int AS "coldStarts",
      count(DISTINCT bucket / ${sql.lit(DAY_MS / CACHE_TTL_MS)})::int AS "activeDays"
    FROM (
      SELECT *, lag(last_ts) OVER (PARTITION BY model, provider, project, feature, prompt_prefix_hash ORDER BY bucket) AS previous_last
      FROM usage_prefix_buckets WHERE owner_id = ${ownerId} ${onBuckets(range)}
    ) b
    GROUP BY model, provider, project, feature, prompt_prefix_hash
    HAVING sum(calls::float8) > 1
    ORDER BY model COLLATE "C", provider COLLATE "C", project COLLATE "C", feature COLLATE "C", prompt_prefix_hash COLLATE "C"`.execute(db);
  return result.rows.map(({ prompt_prefix_hash, ...r }): PrefixStatRow => ({ ...r, promptPrefixHash: prompt_prefix_hash, days: r.requests / r.activeDays }));
}

interface OutputSizeRow {
  model: string;
  provider: string | null;
  project: string;
  feature: string;
  output: number;
  calls: number;
  limited: number;
  limitSum: number;
}

/** Output stats over all of the owner's calls (the rollup has no time: see migration 0008). */
export async function outputStatsFromRollups(db: Kysely<Database>, ownerId: string): Promise<OutputStatRow[]> {
  const result = await sql<OutputSizeRow>`
    SELECT model, provider, project, feature, output_tokens AS output, calls::float8 AS calls,
      limited_requests::float8 AS limited, max_output_tokens_sum::float8 AS "limitSum"
    FROM usage_output_sizes WHERE owner_id = ${ownerId}
    ORDER BY model COLLATE "C", provider COLLATE "C", project COLLATE "C", feature COLLATE "C", output_tokens`.execute(db);
  const stats: OutputStatRow[] = [];
  let group: OutputSizeRow[] = [];
  const close = () => {
    if (group.length === 0) return;
    const first = group[0]!;
    const sizes = group.map((r) => ({ value: r.output, count: r.calls }));
    // Integer sums below 2^53 are exact in float64; the mean is their correctly rounded quotient,
    // as avg() gives it (numeric division to 20 digits, then float8).
    const requests = group.reduce((n, r) => n + r.calls, 0);
    const limited = group.reduce((n, r) => n + r.limited, 0);
    const limitSum = group.reduce((n, r) => n + r.limitSum, 0);
    stats.push({
      model: first.model,
      provider: first.provider,
      project: first.project,
      feature: first.feature,
      requests,
      limitedRequests: limited,
      meanMaxOutputTokens: limited === 0 ? 0 : limitSum / limited,
      p50OutputTokens: percentileCont(sizes, requests, 0.5),
      p99OutputTokens: percentileCont(sizes, requests, 0.99),
      maxOutputTokensSeen: group[group.length - 1]!.output,
    });
    group = [];
  };
  for (const row of result.rows) {
    const last = group[0];
    if (last && (last.model !== row.model || last.provider !== row.provider || last.project !== row.project || last.feature !== row.feature)) close();
    group.push(row);
  }
  close();
  return stats;
}
