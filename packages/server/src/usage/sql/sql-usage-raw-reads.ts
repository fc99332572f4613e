import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { CACHE_TTL_MS, type OutputStatRow, type PrefixStatRow, type TimeRange, type UsageAggregateRow, type UsageStore } from '../usage-store.js';

/*
 * The reads over the records themselves, for what the rollups cannot answer (a bound that is not a
 * UTC midnight; output stats over a range): the definition of every figure, which the rollup reads
 * must equal.
 *
 * Every figure is cast in SQL: PostgreSQL returns bigint (count) and numeric (sum, avg of ints) as
 * strings through `pg`, and PGlite parses some of them differently; an explicit ::int or ::float8
 * makes both engines return plain JS numbers. float8 is exact for integer sums below 2^53.
 * Text ordering uses COLLATE "C" (byte order), so results come in the same order whatever the
 * database's default collation.
 */
const day = sql<string>`to_char(ts at time zone 'UTC', 'YYYY-MM-DD')`;
const isoUtc = (column: 'min' | 'max') =>
  sql<string | null>`to_char(${sql.raw(column)}(ts) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const count = sql<number>`count(*)::int`;

export type RecordReads = Omit<UsageStore, 'insert' | 'insertBatchSize' | 'rowForm' | 'insertRows'>;

/** The analysis reads over usage_records; every query is owner-scoped. */
export function createRecordReads(db: Kysely<Database>): RecordReads {
  /** The owner's records in the range: the base of every read, so none can forget the owner. */
  function scoped(workspaceId: string, range: TimeRange | undefined) {
    let query = db.selectFrom('usage_records').where('owner_id', '=', workspaceId);
    if (range?.from !== undefined) query = query.where('ts', '>=', toDate(range.from));
    if (range?.to !== undefined) query = query.where('ts', '<', toDate(range.to));
    return query;
  }

  return {
    async overview(workspaceId, range) {
      const totals = await scoped(workspaceId, range)
        .select([count.as('records'), isoUtc('min').as('first'), isoUtc('max').as('last')])
        .executeTakeFirstOrThrow();
      const models = await scoped(workspaceId, range)
        .select('model')
        .groupBy('model')
        .orderBy(sql`model collate "C"`)
        .execute();
      return { records: totals.records, from: totals.first, to: totals.last, models: models.map((m) => m.model) };
    },

    async aggregate(workspaceId, range) {
      const rows = await scoped(workspaceId, range)
        .select([
          day.as('day'),
          'provider',
          'model',
          'project',
          'feature',
          'status',
          'interactive',
          'batch',
          count.as('requests'),
          sql<number>`(count(*) filter (where attempt > 1))::int`.as('retries'),
          sql<number>`sum(input_tokens)::float8`.as('inputTokens'),
          sql<number>`sum(output_tokens)::float8`.as('outputTokens'),
          sql<number>`sum(cache_read_tokens)::float8`.as('cacheReadTokens'),
          sql<number>`sum(cache_write_tokens)::float8`.as('cacheWriteTokens'),
          sql<number>`sum(cache_write_1h_tokens)::float8`.as('cacheWrite1hTokens'),
          sql<number>`coalesce(sum(reasoning_tokens), 0)::float8`.as('reasoningTokens'),
          sql<number>`coalesce(sum(cost_usd), 0)::float8`.as('costUsd'),
          sql<number>`(count(*) filter (where cost_usd is null))::int`.as('unpricedRequests'),
          sql<number>`coalesce(sum(latency_ms), 0)::float8`.as('latencyMsSum'),
          sql<number>`count(latency_ms)::int`.as('latencyCount'),
          sql<number>`(extract(epoch from min(ts)) * 1000)::float8`.as('firstMs'),
          sql<number>`(extract(epoch from max(ts)) * 1000)::float8`.as('lastMs'),
        ])
        .groupBy([day, 'provider', 'model', 'project', 'feature', 'status', 'interactive', 'batch'])
        .orderBy(sql`1`)
        .orderBy(sql`provider collate "C"`)
        .orderBy(sql`model collate "C"`)
        .orderBy(sql`project collate "C"`)
        .orderBy(sql`feature collate "C"`)
        .orderBy(sql`status collate "C"`)
        .orderBy('interactive')
        .orderBy('batch')
        .execute();
      return rows satisfies UsageAggregateRow[];
    },

    async prefixStats(workspaceId, range) {
      // Each call's gap to the previous call with the same prefix (in the same slice): a first
      // call or a gap above the cache TTL is a cold start. The owner and range are applied
      // before the window, so another owner's calls never warm this owner's cache.
      const calls = scoped(workspaceId, range)
        .where('prompt_prefix_hash', 'is not', null)
        .select([
          'model',
          'provider',
          'project',
          'feature',
          'prompt_prefix_hash',
          'prefix_tokens',
          'cache_read_tokens',
          'cache_write_tokens',
          'cache_write_1h_tokens',
          day.as('day'),
          sql<boolean>`(lag(ts) over (partition by model, provider, project, feature, prompt_prefix_hash order by ts) is null
            or ts - lag(ts) over (partition by model, provider, project, feature, prompt_prefix_hash order by ts) > ${sql.lit(`${CACHE_TTL_MS} milliseconds`)}::interval)`.as(
            'cold',
          ),
        ]);
      const rows = await db
        .selectFrom(calls.as('c'))
        .select([
          'model',
          'provider',
          'project',
          'feature',
          'prompt_prefix_hash',
          count.as('requests'),
          sql<number>`coalesce(sum(prefix_tokens), 0)::float8`.as('prefixTokens'),
          sql<number>`sum(cache_read_tokens)::float8`.as('cacheReadTokens'),
          sql<number>`sum(cache_write_tokens)::float8`.as('cacheWriteTokens'),
          sql<number>`sum(cache_write_1h_tokens)::float8`.as('cacheWrite1hTokens'),
          sql<number>`(count(*) filter (where cold))::int`.as('coldStarts'),
          sql<number>`count(distinct day)::int`.as('activeDays'),
        ])
        .groupBy(['model', 'provider', 'project', 'feature', 'prompt_prefix_hash'])
        .having(sql`count(*)`, '>', 1)
        .orderBy(sql`model collate "C"`)
        .orderBy(sql`provider collate "C"`)
        .orderBy(sql`project collate "C"`)
        .orderBy(sql`feature collate "C"`)
        .orderBy(sql`prompt_prefix_hash collate "C"`)
        .execute();
      return rows.map(
        ({ prompt_prefix_hash, ...r }): PrefixStatRow => ({
          ...r,
          promptPrefixHash: prompt_prefix_hash ?? '',
          days: r.requests / r.activeDays,
        }),
      );
    },

    async outputStats(workspaceId, range) {
      const rows = await scoped(workspaceId, range)
        .where('status', '=', 'ok')
        .select([
          'model',
          'provider',
          'project',
          'feature',
          count.as('requests'),
          sql<number>`count(max_output_tokens)::int`.as('limitedRequests'),
          sql<number>`coalesce(avg(max_output_tokens), 0)::float8`.as('meanMaxOutputTokens'),
          sql<number>`(percentile_cont(0.5) within group (order by output_tokens))::float8`.as('p50OutputTokens'),
          sql<number>`(percentile_cont(0.99) within group (order by output_tokens))::float8`.as('p99OutputTokens'),
          sql<number>`max(output_tokens)::int`.as('maxOutputTokensSeen'),
        ])
        .groupBy(['model', 'provider', 'project', 'feature'])
        .orderBy(sql`model collate "C"`)
        .orderBy(sql`provider collate "C"`)
        .orderBy(sql`project collate "C"`)
        .orderBy(sql`feature collate "C"`)
        .execute();
      return rows satisfies OutputStatRow[];
    },
  };
}

function toDate(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`invalid time in range: ${iso}`);
  return date;
}
