import { sql, type Kysely } from 'kysely';

/**
 * Cache writes by duration (issue 15 item 1): 1-hour cache writes are billed higher than 5-minute
 * ones (Anthropic: 2x input against 1.25x), so records and the rollups that sum them (migration
 * 0008) keep them in their own column. `cache_write_tokens` keeps its meaning for every existing
 * row and now holds 5-minute (or unknown-duration) writes only: rows stored before this migration
 * had no split, and count as 5-minute, which is how they were priced. A constant default makes
 * each ADD COLUMN a catalog change on PostgreSQL 11+, not a table rewrite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['usage_records', 'usage_daily', 'usage_prefix_buckets']) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN cache_write_1h_tokens bigint NOT NULL DEFAULT 0`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['usage_prefix_buckets', 'usage_daily', 'usage_records']) {
    await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN IF EXISTS cache_write_1h_tokens`.execute(db);
  }
}
