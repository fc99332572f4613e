/**
 * The analytics baseline: the same priced rows written straight into the same raw tables, with
 * nothing of the product around them: no parsing, no pricing, no duplicate check, no rollups.
 * What an insert costs on each store when it does nothing else is what Tally's ingest path is
 * compared to.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { sql } from 'kysely';
import type { Db } from '../../packages/server/src/store/database.js';
import { toClickHouseRow } from '../../packages/server/src/usage/clickhouse/clickhouse-schema.js';
import type { PricedUsageRecord } from '../../packages/server/src/usage/usage-store.js';

/** Rows per multi-row INSERT on PostgreSQL/PGlite: 24 parameters a row stays under the 65,535 limit. */
const SQL_CHUNK = 2000;

/** Plain multi-row INSERTs into `usage_records`; returns the rows written. */
export async function directSqlInsert(db: Db, ownerId: string, records: readonly PricedUsageRecord[]): Promise<number> {
  let written = 0;
  for (let start = 0; start < records.length; start += SQL_CHUNK) {
    const chunk = records.slice(start, start + SQL_CHUNK);
    await db
      .insertInto('usage_records')
      .values(
        chunk.map(({ record: r, key, costUsd }) => ({
          owner_id: ownerId,
          record_key: key,
          ts: r.ts,
          provider: r.provider ?? null,
          model: r.model,
          project: r.project,
          feature: r.feature,
          end_user: r.user ?? null,
          input_tokens: r.inputTokens,
          output_tokens: r.outputTokens,
          cache_read_tokens: r.cacheReadTokens,
          cache_write_tokens: r.cacheWriteTokens,
          reasoning_tokens: r.reasoningTokens ?? null,
          latency_ms: r.latencyMs ?? null,
          status: r.status,
          interactive: r.interactive,
          batch: r.batch,
          max_output_tokens: r.maxOutputTokens ?? null,
          prompt_prefix_hash: r.promptPrefixHash ?? null,
          prefix_tokens: r.prefixTokens ?? null,
          attempt: r.attempt,
          source_cost_usd: r.costUsd ?? null,
          cost_usd: costUsd,
        })),
      )
      .execute();
    written += chunk.length;
  }
  return written;
}

/** One JSONEachRow INSERT of every row into `<database>.usage_records`; returns the rows written. */
export async function directClickHouseInsert(client: ClickHouseClient, database: string, ownerId: string, records: readonly PricedUsageRecord[]): Promise<number> {
  if (!/^[a-z_][a-z0-9_]*$/i.test(database)) throw new Error(`invalid database name: ${database}`);
  await client.insert({ table: `${database}.usage_records`, values: records.map((r) => toClickHouseRow(ownerId, r)), format: 'JSONEachRow' });
  return records.length;
}

/** Rows of this owner in `usage_records`, counted on the raw table. */
export async function countSqlRows(db: Db, ownerId: string): Promise<number> {
  const row = await db.selectFrom('usage_records').select(sql<number>`count(*)::int`.as('n')).where('owner_id', '=', ownerId).executeTakeFirstOrThrow();
  return row.n;
}
