import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { clickHouseSql, epochMs, identifier, int, string, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { selectRows } from './clickhouse-select.js';
import { DAY_MS, dayRange, type DayRange } from '../day-range.js';
import { CACHE_TTL_MS, type OutputStatRow, type PrefixStatRow, type TimeRange, type UsageAggregateRow, type UsageOverview, type UsageStore } from '../usage-store.js';

export type ClickHouseUsageReads = Pick<UsageStore, 'overview' | 'aggregate' | 'prefixStats' | 'outputStats'>;

/**
 * The analysis reads of the ClickHouse usage store, answering exactly as the SQL store does (same
 * grouping, order, casts and percentiles): whole-day ranges from the rollups, others from the
 * records, every one through FINAL and scoped to the owner.
 */
export function createClickHouseUsageReads(client: ClickHouseClient, database: string): ClickHouseUsageReads {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records`;
  const select = <T>(query: ClickHouseSql, schema: z.ZodType<T>): Promise<T[]> => selectRows(client, query, schema);

  /** The owner's records in the range, one row per record: the base of every read. */
  function scoped(workspaceId: string, range: TimeRange | undefined, extra?: ClickHouseSql): ClickHouseSql {
    let where = clickHouseSql`owner_id = ${uuid(workspaceId)}`;
    if (range?.from !== undefined) where = clickHouseSql`${where} AND ts_ms >= ${epochMs(range.from)}`;
    if (range?.to !== undefined) where = clickHouseSql`${where} AND ts_ms < ${epochMs(range.to)}`;
    if (extra) where = clickHouseSql`${where} AND ${extra}`;
    return clickHouseSql`${records} FINAL WHERE ${where}`;
  }

  /** A rollup's rows of the owner over whole days, through FINAL (see clickhouse-rollups.ts). */
  function rolledUp(table: string, workspaceId: string, days: DayRange, dayColumn: ClickHouseSql = clickHouseSql`day`): ClickHouseSql {
    let where = clickHouseSql`owner_id = ${uuid(workspaceId)}`;
    if (days.fromMs !== undefined) where = clickHouseSql`${where} AND ${dayColumn} >= toDate(${string(isoDay(days.fromMs))})`;
    if (days.toMs !== undefined) where = clickHouseSql`${where} AND ${dayColumn} < toDate(${string(isoDay(days.toMs))})`;
    return clickHouseSql`${db}.${identifier(table)} FINAL WHERE ${where}`;
  }

  return {
    async overview(workspaceId, range): Promise<UsageOverview> {
      // One pass over the records (through FINAL) for the totals and the models; arraySort
      // orders strings by bytes, as the SQL store's COLLATE "C".
      const days = dayRange(range);
      const [totals] = await select(
        days
          ? clickHouseSql`SELECT sum(requests) AS records, min(first_ms) AS first, max(last_ms) AS last, arraySort(groupUniqArray(model)) AS models
              FROM ${rolledUp('usage_daily', workspaceId, days)}`
          : clickHouseSql`SELECT count() AS records, min(ts_ms) AS first, max(ts_ms) AS last, arraySort(groupUniqArray(model)) AS models
              FROM ${scoped(workspaceId, range)}`,
        z.object({ records: z.number(), first: z.number(), last: z.number(), models: z.array(z.string()) }),
      );
      const empty = !totals || totals.records === 0;
      return {
        records: totals?.records ?? 0,
        from: empty ? null : new Date(totals.first).toISOString(),
        to: empty ? null : new Date(totals.last).toISOString(),
        models: totals?.models ?? [],
      };
    },

    async aggregate(workspaceId, range) {
      const days = dayRange(range);
      const rows = await select(
        days ? clickHouseSql`SELECT
            toString(day) AS d, if(provider_null = 1, NULL, provider_name) AS provider, model, project, feature,
            toString(status) AS s, interactive, batch,
            requests, retries,
            input_tokens AS inputTokens, output_tokens AS outputTokens,
            cache_read_tokens AS cacheReadTokens, cache_write_tokens AS cacheWriteTokens,
            cache_write_1h_tokens AS cacheWrite1hTokens,
            reasoning_tokens AS reasoningTokens, cost_usd AS costUsd, unpriced_requests AS unpricedRequests,
            latency_ms_sum AS latencyMsSum, latency_count AS latencyCount,
            first_ms AS firstMs, last_ms AS lastMs
          FROM ${rolledUp('usage_daily', workspaceId, days)}
          ORDER BY day, provider_null, provider_name, model, project, feature, status, interactive, batch`
        : clickHouseSql`SELECT
            toString(day) AS d, provider, model, project, feature, toString(status) AS s, interactive, batch,
            count() AS requests,
            countIf(attempt > 1) AS retries,
            sum(input_tokens) AS inputTokens,
            sum(output_tokens) AS outputTokens,
            sum(cache_read_tokens) AS cacheReadTokens,
            sum(cache_write_tokens) AS cacheWriteTokens,
            sum(cache_write_1h_tokens) AS cacheWrite1hTokens,
            ifNull(sum(reasoning_tokens), 0) AS reasoningTokens,
            ifNull(sum(cost_usd), 0) AS costUsd,
            countIf(isNull(cost_usd)) AS unpricedRequests,
            ifNull(sum(latency_ms), 0) AS latencyMsSum,
            count(latency_ms) AS latencyCount,
            min(ts_ms) AS firstMs,
            max(ts_ms) AS lastMs
          FROM ${scoped(workspaceId, range)}
          GROUP BY day, provider, model, project, feature, status, interactive, batch
          ORDER BY day, provider, model, project, feature, status, interactive, batch`,
        AggregateRowSchema,
      );
      return rows.map(({ d, s, interactive, batch, ...sums }): UsageAggregateRow => ({
        day: d,
        provider: sums.provider,
        model: sums.model,
        project: sums.project,
        feature: sums.feature,
        status: s,
        interactive: interactive === 1,
        batch: batch === 1,
        requests: sums.requests,
        retries: sums.retries,
        inputTokens: sums.inputTokens,
        outputTokens: sums.outputTokens,
        cacheReadTokens: sums.cacheReadTokens,
        cacheWriteTokens: sums.cacheWriteTokens,
        cacheWrite1hTokens: sums.cacheWrite1hTokens,
        reasoningTokens: sums.reasoningTokens,
        costUsd: sums.costUsd,
        unpricedRequests: sums.unpricedRequests,
        latencyMsSum: sums.latencyMsSum,
        latencyCount: sums.latencyCount,
        firstMs: sums.firstMs,
        lastMs: sums.lastMs,
      }));
    },

    async prefixStats(workspaceId, range) {
      /*
       * Cold starts as the SQL store's window over time-ordered calls: the first call with the
       * prefix, and each call more than the cache TTL after the previous one. ClickHouse 18.16 has
       * no window functions, so calls are first cut into TTL-wide buckets: inside one, every gap is
       * at most the TTL, so only a bucket's first call can be cold, and it is when the previous
       * non-empty bucket's last call is more than the TTL before it. Memory follows the number of
       * buckets (at most a day's worth of 5-minute slots per day), not the number of calls.
       */
      const ttl = int(CACHE_TTL_MS);
      const days = dayRange(range);
      const buckets = days
        ? clickHouseSql`SELECT model, if(provider_null = 1, NULL, provider_name) AS provider, project, feature,
              prompt_prefix_hash AS promptPrefixHash, first_ms AS first, last_ms AS last, n_calls AS calls,
              prefix_tokens AS bucketPrefixTokens, cache_read_tokens AS bucketCacheReadTokens,
              cache_write_tokens AS bucketCacheWriteTokens, cache_write_1h_tokens AS bucketCacheWrite1hTokens, [intDiv(bucket * ${ttl}, ${int(DAY_MS)})] AS days
            FROM ${rolledUp('usage_prefix_buckets', workspaceId, days, clickHouseSql`toDate(toDateTime(intDiv(bucket * ${ttl}, 1000), 'UTC'))`)}`
        : clickHouseSql`SELECT model, provider, project, feature, assumeNotNull(prompt_prefix_hash) AS promptPrefixHash,
              intDiv(ts_ms, ${ttl}) AS bucket,
              min(ts_ms) AS first, max(ts_ms) AS last,
              count() AS calls,
              ifNull(sum(prefix_tokens), 0) AS bucketPrefixTokens,
              sum(cache_read_tokens) AS bucketCacheReadTokens,
              sum(cache_write_tokens) AS bucketCacheWriteTokens,
              sum(cache_write_1h_tokens) AS bucketCacheWrite1hTokens,
              groupUniqArray(toUInt16(day)) AS days
            FROM ${scoped(workspaceId, range, clickHouseSql`isNotNull(prompt_prefix_hash)`)}
            GROUP BY model, provider, project, feature, promptPrefixHash, bucket`;
      const rows = await select(
        clickHouseSql`SELECT
            model, provider, project, feature, promptPrefixHash,
            sum(calls) AS requests,
            sum(bucketPrefixTokens) AS prefixTokens,
            sum(bucketCacheReadTokens) AS cacheReadTokens,
            sum(bucketCacheWriteTokens) AS cacheWriteTokens,
            sum(bucketCacheWrite1hTokens) AS cacheWrite1hTokens,
            uniqExactArray(days) AS activeDays,
            arraySort(x -> x.1, groupArray((first, last))) AS spans,
            arrayMap(x -> x.1, spans) AS firsts,
            arrayPushFront(arrayPopBack(arrayMap(x -> x.2, spans)), firsts[1] - ${ttl} - 1) AS previousLasts,
            arrayCount((f, p) -> f - p > ${ttl}, firsts, previousLasts) AS coldStarts
          FROM (${buckets})
          GROUP BY model, provider, project, feature, promptPrefixHash
          HAVING requests > 1
          ORDER BY model, provider, project, feature, promptPrefixHash`,
        PrefixRowSchema,
      );
      return rows.map((r): PrefixStatRow => ({
        model: r.model,
        provider: r.provider,
        project: r.project,
        feature: r.feature,
        promptPrefixHash: r.promptPrefixHash,
        requests: r.requests,
        prefixTokens: r.prefixTokens,
        cacheReadTokens: r.cacheReadTokens,
        cacheWriteTokens: r.cacheWriteTokens,
        cacheWrite1hTokens: r.cacheWrite1hTokens,
        coldStarts: r.coldStarts,
        days: r.requests / r.activeDays,
        activeDays: r.activeDays,
      }));
    },

    async outputStats(workspaceId, range) {
      /*
       * Percentiles exactly as PostgreSQL's percentile_cont: at position p*(n-1) of the sorted
       * outputs, linear between the values at its floor and ceiling, in the same float64 steps
       * (lo + frac * (hi - lo)). The outputs are first counted per distinct value, so memory
       * follows the number of distinct output sizes, not of calls; the value at 0-based rank r is
       * the first whose running count exceeds r.
       */
      const rank = (position: ClickHouseSql) =>
        clickHouseSql`toFloat64(outputs[arrayFirstIndex(c -> c > ${position}, running)])`;
      const days = dayRange(range);
      const sizes = days
        ? clickHouseSql`SELECT model, if(provider_null = 1, NULL, provider_name) AS provider, project, feature, output,
              sum(n_calls) AS calls, sum(n_limited) AS limited, sum(limit_sum) AS limitSum
            FROM ${rolledUp('usage_output_sizes', workspaceId, days)}
            GROUP BY model, provider_null, provider_name, project, feature, output`
        : clickHouseSql`SELECT model, provider, project, feature, output_tokens AS output,
              count() AS calls, count(max_output_tokens) AS limited, ifNull(sum(max_output_tokens), 0) AS limitSum
            FROM ${scoped(workspaceId, range, clickHouseSql`status = 'ok'`)}
            GROUP BY model, provider, project, feature, output`;
      const percentile = (position: ClickHouseSql) =>
        clickHouseSql`${rank(clickHouseSql`floor(${position})`)} + (${position} - floor(${position})) * (${rank(clickHouseSql`ceil(${position})`)} - ${rank(clickHouseSql`floor(${position})`)})`;
      const rows = await select(
        clickHouseSql`SELECT
            model, provider, project, feature,
            sum(calls) AS requests,
            sum(limited) AS limitedRequests,
            if(limitedRequests = 0, 0, sum(limitSum) / limitedRequests) AS meanMaxOutputTokens,
            arraySort(x -> x.1, groupArray((output, calls))) AS histogram,
            arrayMap(x -> x.1, histogram) AS outputs,
            arrayCumSum(arrayMap(x -> x.2, histogram)) AS running,
            0.5 * (requests - 1) AS p50Position,
            0.99 * (requests - 1) AS p99Position,
            ${percentile(clickHouseSql`p50Position`)} AS p50OutputTokens,
            ${percentile(clickHouseSql`p99Position`)} AS p99OutputTokens,
            max(output) AS maxOutputTokensSeen
          FROM (${sizes})
          GROUP BY model, provider, project, feature
          ORDER BY model, provider, project, feature`,
        OutputRowSchema,
      );
      return rows.map((r): OutputStatRow => ({
        model: r.model,
        provider: r.provider,
        project: r.project,
        feature: r.feature,
        requests: r.requests,
        limitedRequests: r.limitedRequests,
        meanMaxOutputTokens: r.meanMaxOutputTokens,
        p50OutputTokens: r.p50OutputTokens,
        p99OutputTokens: r.p99OutputTokens,
        maxOutputTokensSeen: r.maxOutputTokensSeen,
      }));
    },
  };
}

const groupColumns = { provider: z.string().nullable(), model: z.string(), project: z.string(), feature: z.string() };

const AggregateRowSchema = z.object({
  d: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  ...groupColumns,
  s: z.enum(['ok', 'error', 'timeout']),
  interactive: z.union([z.literal(0), z.literal(1)]),
  batch: z.union([z.literal(0), z.literal(1)]),
  requests: z.number(),
  retries: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number(),
  unpricedRequests: z.number(),
  latencyMsSum: z.number(),
  latencyCount: z.number(),
  firstMs: z.number(),
  lastMs: z.number(),
});

const PrefixRowSchema = z.object({
  ...groupColumns,
  promptPrefixHash: z.string(),
  requests: z.number(),
  prefixTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  coldStarts: z.number(),
  activeDays: z.number(),
});

const OutputRowSchema = z.object({
  ...groupColumns,
  requests: z.number(),
  limitedRequests: z.number(),
  meanMaxOutputTokens: z.number(),
  p50OutputTokens: z.number(),
  p99OutputTokens: z.number(),
  maxOutputTokensSeen: z.number(),
});

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
