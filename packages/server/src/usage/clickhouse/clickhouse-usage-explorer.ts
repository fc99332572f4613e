import type { ClickHouseClient } from '@clickhouse/client';
import type { UsageCallFilters } from '@tally/protocol';
import { z } from 'zod';
import { clickHouseSql, epochMs, identifier, int, list, string, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import type { UsageExplorer } from '../usage-explorer.js';

/**
 * The explorer's reads over ClickHouse (18.16 on), answering as the SQL store does: the same
 * filters, order (newest first, ties by key in byte order) and percentiles. Every read goes
 * through FINAL, so a record stored twice by racing inserts counts once.
 */
export function createClickHouseUsageExplorer(client: ClickHouseClient, database: string): UsageExplorer {
  const records = clickHouseSql`${identifier(database)}.usage_records`;

  async function select<T>(query: ClickHouseSql, schema: z.ZodType<T>): Promise<T[]> {
    const result = await client.query({ query: query.text, format: 'JSONEachRow' });
    return z.array(schema).parse(await result.json());
  }

  /** The owner's records matching the filters, one row per record. */
  function matching(workspaceId: string, f: UsageCallFilters, extra?: ClickHouseSql): ClickHouseSql {
    const texts = (values: readonly string[]) => list(values.map(string));
    let where = clickHouseSql`owner_id = ${uuid(workspaceId)}`;
    if (f.from !== undefined) where = clickHouseSql`${where} AND ts_ms >= ${epochMs(f.from)}`;
    if (f.to !== undefined) where = clickHouseSql`${where} AND ts_ms < ${epochMs(f.to)}`;
    if (f.models) where = clickHouseSql`${where} AND model IN (${texts(f.models)})`;
    if (f.projects) where = clickHouseSql`${where} AND project IN (${texts(f.projects)})`;
    if (f.features) where = clickHouseSql`${where} AND feature IN (${texts(f.features)})`;
    if (f.providers) where = clickHouseSql`${where} AND provider IN (${texts(f.providers)})`;
    if (f.users) where = clickHouseSql`${where} AND end_user IN (${texts(f.users)})`;
    if (f.statuses) where = clickHouseSql`${where} AND toString(status) IN (${texts(f.statuses)})`;
    if (extra) where = clickHouseSql`${where} AND ${extra}`;
    return clickHouseSql`${records} FINAL WHERE ${where}`;
  }

  /**
   * percentile_cont of the sorted values, the percentile in whole percent: at position
   * p*(n-1), linear between the values at its floor and ceiling (arrays count from 1 here).
   */
  const percentile = (percent: number) => {
    const position = clickHouseSql`${int(percent)} / 100 * (count() - 1)`;
    const at = (index: ClickHouseSql) => clickHouseSql`sorted[toUInt64(${index}) + 1]`;
    return clickHouseSql`${at(clickHouseSql`floor(${position})`)} + (${position} - floor(${position})) * (${at(clickHouseSql`ceil(${position})`)} - ${at(clickHouseSql`floor(${position})`)})`;
  };

  return {
    async requestPage(workspaceId, { filters, limit, offset }) {
      const [total] = await select(clickHouseSql`SELECT count() AS n FROM ${matching(workspaceId, filters)}`, z.object({ n: z.number() }));
      const rows = await select(
        clickHouseSql`SELECT ts_ms, provider, model, project, feature, end_user, toString(status) AS st,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
            ifNull(reasoning_tokens, 0) AS reasoning, cost_usd, latency_ms, attempt
          FROM ${matching(workspaceId, filters)}
          ORDER BY ts_ms DESC, record_key
          LIMIT ${int(offset)}, ${int(limit)}`,
        RequestRowSchema,
      );
      return {
        total: total?.n ?? 0,
        offset,
        requests: rows.map((r) => ({
          ts: new Date(r.ts_ms).toISOString(),
          provider: r.provider,
          model: r.model,
          project: r.project,
          feature: r.feature,
          user: r.end_user,
          status: r.st,
          inputTokens: r.input_tokens,
          outputTokens: r.output_tokens,
          cacheReadTokens: r.cache_read_tokens,
          cacheWriteTokens: r.cache_write_tokens,
          cacheWrite1hTokens: r.cache_write_1h_tokens,
          reasoningTokens: r.reasoning,
          costUsd: r.cost_usd,
          latencyMs: r.latency_ms,
          attempt: r.attempt,
        })),
      };
    },

    async latencyByModel(workspaceId, filters) {
      // Every latency of a model, sorted: exact percentiles at the cost of memory per model's calls.
      return select(
        clickHouseSql`SELECT model, count() AS calls, arraySort(groupArray(assumeNotNull(latency_ms))) AS sorted,
            ${percentile(50)} AS p50Ms, ${percentile(95)} AS p95Ms
          FROM ${matching(workspaceId, filters, clickHouseSql`isNotNull(latency_ms)`)}
          GROUP BY model`,
        z.object({ model: z.string(), calls: z.number(), p50Ms: z.number(), p95Ms: z.number() }),
      );
    },

    async spendByUser(workspaceId, filters) {
      return select(
        clickHouseSql`SELECT end_user AS user, count() AS requests, ifNull(sum(cost_usd), 0) AS costUsd
          FROM ${matching(workspaceId, filters)}
          GROUP BY end_user`,
        z.object({ user: z.string().nullable(), requests: z.number(), costUsd: z.number() }),
      );
    },
  };
}

const RequestRowSchema = z.object({
  ts_ms: z.number(),
  provider: z.string().nullable(),
  model: z.string(),
  project: z.string(),
  feature: z.string(),
  end_user: z.string().nullable(),
  st: z.enum(['ok', 'error', 'timeout']),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cache_write_tokens: z.number(),
  cache_write_1h_tokens: z.number(),
  reasoning: z.number(),
  cost_usd: z.number().nullable(),
  latency_ms: z.number().nullable(),
  attempt: z.number(),
});
