import { sql, type Kysely } from 'kysely';

/**
 * A version of each workspace's usage rollups, so a node may keep the analysis reads of a
 * workspace in memory and learn in one cheap statement whether they still hold
 * (usage/analysis-read-cache.ts). Every write that changes a rollup bumps it in the same statement
 * or transaction (sql-usage-insert.ts, sql-usage-reprice.ts): a reader's snapshot sees the new
 * rows and the new version together, or neither.
 *
 * A version is a time in microseconds that only grows per workspace (usage/sql/sql-usage-version.ts):
 * never per workspace from 1, so a number a node remembers cannot come back with other data, even
 * after the database is restored from a backup. Workspaces that already have usage get a version
 * here; one with no row has never had usage written since, and its reads are never kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE usage_versions (
      owner_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      version bigint NOT NULL
    )`.execute(db);
  await sql`
    INSERT INTO usage_versions (owner_id, version)
    SELECT owner_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM (SELECT DISTINCT owner_id FROM usage_daily) owners`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE usage_versions`.execute(db);
}
