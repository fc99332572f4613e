/**
 * The analytics baseline: the same priced rows written straight into the same raw tables, with
 * nothing of the product around them: no parsing, no pricing, no duplicate check, no rollups.
 * What an insert costs on each store when it does nothing else is what Tally's ingest path is
 * compared to.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { sql } from 'kysely';
import type { Db } from '../../packages/server/src/store/database.js';
import { USAGE_COLUMNS } from '../../packages/server/src/usage/usage-columns.js';
import { toClickHouseRow } from '../../packages/server/src/usage/clickhouse/clickhouse-schema.js';
import type { PricedUsageRecord } from '../../packages/server/src/usage/usage-store.js';

/** Rows per INSERT on PostgreSQL/PGlite, as the product's own insert sends them. */
const SQL_CHUNK = 5000;

const COLUMNS = sql.raw(USAGE_COLUMNS.map((c) => c.name).join(', '));
const FIELDS = sql.raw(USAGE_COLUMNS.map((c) => c.short).join(', '));
const TYPES = sql.raw(USAGE_COLUMNS.map((c) => `${c.short} ${c.sqlType}`).join(', '));

/**
 * The fastest plain insert measured on PGlite: the rows as one JSON parameter read by
 * json_to_recordset (about 2x a multi-row VALUES, which the baseline used before and which made
 * the product look faster than a direct insert), straight into `usage_records`: no duplicate
 * check, no rollups. It goes through the embedded store's database thread as the product's insert
 * does, so from its third statement it runs prepared, as the product's does. Returns the rows written.
 */
export async function directSqlInsert(db: Db, ownerId: string, records: readonly PricedUsageRecord[]): Promise<number> {
  let written = 0;
  for (let start = 0; start < records.length; start += SQL_CHUNK) {
    const chunk = records.slice(start, start + SQL_CHUNK);
    // Each column's value straight from the priced record: the key, the cost, or the record's own field.
    const json = JSON.stringify(
      chunk.map(({ record, key, costUsd }) =>
        Object.fromEntries(USAGE_COLUMNS.map((c) => [c.short, (c.field === 'key' ? key : c.field === 'cost' ? costUsd : record[c.field]) ?? null])),
      ),
    );
    await sql`INSERT INTO usage_records (owner_id, ${COLUMNS}) SELECT ${ownerId}::uuid, ${FIELDS} FROM json_to_recordset(${json}::json) AS x(${TYPES})`.execute(db);
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
