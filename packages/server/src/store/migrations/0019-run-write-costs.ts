import { sql, type Kysely } from 'kysely';

/**
 * Two costs PostgreSQL paid on every run (issue 19; measured with pg_stat_statements over the
 * event-delivery load, docs/DECISIONS.md "2026-12-07 — A run's PostgreSQL work"):
 *
 * - `queue_run` counts the owner's runs going. With no index on the owner, PostgreSQL read it
 *   off `runs_status_created`, that is every run going on the server: the count's cost grew with
 *   the load. A partial index holds only the runs going, so it stays as small as the work in hand.
 * - A run's checkpoint (~30 KB of JSON: the data step's rows), its `run_completed` event (~20 KB:
 *   the report) and its answer (~3 KB) are over TOAST's 2 KB threshold, so each is compressed,
 *   and PostgreSQL's default compression (pglz) cost about 1.2 ms of its CPU per checkpoint. lz4
 *   costs about half for nearly the same size. Only values written from now on use it (no
 *   rewrite), and only where the server was built with lz4 (PostgreSQL 14 and later, as Debian's
 *   and the official images are; PGlite is not): elsewhere the columns stay as they were.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX runs_owner_going ON runs (owner_id) WHERE status IN ('queued', 'running')`.execute(db);
  if (await hasLz4(db)) {
    await sql`ALTER TABLE run_checkpoints ALTER COLUMN steps SET COMPRESSION lz4`.execute(db);
    await sql`ALTER TABLE run_events ALTER COLUMN data SET COMPRESSION lz4`.execute(db);
    await sql`ALTER TABLE messages ALTER COLUMN content SET COMPRESSION lz4`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS runs_owner_going`.execute(db);
  if (await hasLz4(db)) {
    await sql`ALTER TABLE run_checkpoints ALTER COLUMN steps SET COMPRESSION default`.execute(db);
    await sql`ALTER TABLE run_events ALTER COLUMN data SET COMPRESSION default`.execute(db);
    await sql`ALTER TABLE messages ALTER COLUMN content SET COMPRESSION default`.execute(db);
  }
}

/** Whether this server can compress with lz4 (the setting and its lz4 value exist only then). */
async function hasLz4(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ lz4: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4`.execute(db);
  return rows[0]?.lz4 === true;
}
