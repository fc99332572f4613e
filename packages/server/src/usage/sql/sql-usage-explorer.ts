import { sql, type Kysely } from 'kysely';
import type { UsageCallFilters } from '@tally/protocol';
import type { Database } from '../../store/schema.js';
import type { UsageExplorer } from '../usage-explorer.js';

const count = sql<number>`count(*)::int`;

/**
 * The explorer's reads over usage_records (PGlite and PostgreSQL alike), each owner-scoped; every
 * figure cast in SQL so both engines return plain numbers (see sql-usage-raw-reads.ts). The
 * (owner_id, ts) index serves the newest-first page.
 */
export function createSqlUsageExplorer(db: Kysely<Database>): UsageExplorer {
  /** The owner's records matching the filters: the base of every read, so none can forget the owner. */
  function matching(workspaceId: string, f: UsageCallFilters) {
    let query = db.selectFrom('usage_records').where('owner_id', '=', workspaceId);
    if (f.from !== undefined) query = query.where('ts', '>=', new Date(f.from));
    if (f.to !== undefined) query = query.where('ts', '<', new Date(f.to));
    if (f.models) query = query.where('model', 'in', nonEmpty(f.models));
    if (f.projects) query = query.where('project', 'in', nonEmpty(f.projects));
    if (f.features) query = query.where('feature', 'in', nonEmpty(f.features));
    if (f.providers) query = query.where('provider', 'in', nonEmpty(f.providers));
    if (f.users) query = query.where('end_user', 'in', nonEmpty(f.users));
    if (f.statuses) query = query.where('status', 'in', nonEmpty(f.statuses));
    return query;
  }

  return {
    async requestPage(workspaceId, { filters, limit, offset }) {
      const total = await matching(workspaceId, filters).select(count.as('n')).executeTakeFirstOrThrow();
      const rows = await matching(workspaceId, filters)
        .select([
          sql<string>`to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as('ts'),
          'provider',
          'model',
          'project',
          'feature',
          'end_user',
          'status',
          sql<number>`input_tokens::float8`.as('inputTokens'),
          sql<number>`output_tokens::float8`.as('outputTokens'),
          sql<number>`cache_read_tokens::float8`.as('cacheReadTokens'),
          sql<number>`cache_write_tokens::float8`.as('cacheWriteTokens'),
          sql<number>`cache_write_1h_tokens::float8`.as('cacheWrite1hTokens'),
          sql<number>`coalesce(reasoning_tokens, 0)::float8`.as('reasoningTokens'),
          sql<number | null>`cost_usd::float8`.as('costUsd'),
          sql<number | null>`latency_ms::float8`.as('latencyMs'),
          sql<number>`attempt::int`.as('attempt'),
        ])
        .orderBy('ts', 'desc')
        .orderBy(sql`record_key collate "C"`)
        .limit(limit)
        .offset(offset)
        .execute();
      return { total: total.n, offset, requests: rows.map(({ end_user, ...r }) => ({ ...r, user: end_user })) };
    },

    async latencyByModel(workspaceId, filters) {
      return matching(workspaceId, filters)
        .where('latency_ms', 'is not', null)
        .select([
          'model',
          count.as('calls'),
          sql<number>`(percentile_cont(0.5) within group (order by latency_ms))::float8`.as('p50Ms'),
          sql<number>`(percentile_cont(0.95) within group (order by latency_ms))::float8`.as('p95Ms'),
        ])
        .groupBy('model')
        .execute();
    },

    async spendByUser(workspaceId, filters) {
      const rows = await matching(workspaceId, filters)
        .select(['end_user', count.as('requests'), sql<number>`coalesce(sum(cost_usd), 0)::float8`.as('costUsd')])
        .groupBy('end_user')
        .execute();
      return rows.map(({ end_user, ...r }) => ({ ...r, user: end_user }));
    },
  };
}

/** A filter list is never empty on the wire (min one value); `in ()` would be invalid SQL, so say so. */
function nonEmpty<T>(values: readonly T[]): T[] {
  if (values.length === 0) throw new Error('an empty filter list reached the usage explorer');
  return [...values];
}
