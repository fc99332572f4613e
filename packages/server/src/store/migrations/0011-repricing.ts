import { sql, type Kysely } from 'kysely';

/**
 * Prices that stay right over time (issue 15 item 5):
 * - price_catalog_data: a genai-prices data file an admin loaded (one row, or none: the catalog
 *   bundled with the package). Kept as text, not jsonb: jsonb reorders object keys, and the
 *   library sums a price entry's terms in key order, so the order is part of the price.
 * - reprice_jobs: previews and applications of a re-pricing of stored records, with progress, so
 *   that any node can answer a poll of a job another node runs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE price_catalog_data (
    id smallint PRIMARY KEY CHECK (id = 1),
    version text NOT NULL,
    sha256 text NOT NULL,
    data text NOT NULL,
    providers integer NOT NULL,
    models integer NOT NULL,
    loaded_by uuid REFERENCES users(id) ON DELETE SET NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);

  await sql`CREATE TABLE reprice_jobs (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('preview', 'apply')),
    status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_by uuid REFERENCES users(id) ON DELETE SET NULL,
    preview_id uuid REFERENCES reprice_jobs(id) ON DELETE SET NULL,
    prices_fingerprint text NOT NULL,
    rows_total double precision NOT NULL DEFAULT 0,
    rows_done double precision NOT NULL DEFAULT 0,
    rows_changed double precision NOT NULL DEFAULT 0,
    result text,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX reprice_jobs_created ON reprice_jobs (created_at DESC)`.execute(db);
  // One job at a time, server-wide: two would read and write the same records.
  await sql`CREATE UNIQUE INDEX reprice_jobs_one_running ON reprice_jobs ((true)) WHERE status = 'running'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reprice_jobs').ifExists().execute();
  await db.schema.dropTable('price_catalog_data').ifExists().execute();
}
