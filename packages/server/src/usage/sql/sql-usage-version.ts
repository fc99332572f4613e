import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';

/**
 * The statement, for a data-modifying CTE, that gives each workspace of `owners` (a query of one
 * uuid column) a new usage version (migration 0018): its rollups changed in the statement or
 * transaction this rides in, so no node may go on answering from what it kept at the old one.
 *
 * A version is the time in microseconds, and always more than the workspace's last: it only grows,
 * even across a database restored from a backup (whose versions are older than any a running node
 * saw since) or two writes in one microsecond.
 */
export function bumpUsageVersions(owners: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`INSERT INTO usage_versions AS v (owner_id, version)
    SELECT owner_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM (${owners}) AS owners (owner_id)
    ON CONFLICT (owner_id) DO UPDATE SET version = greatest(v.version + 1, excluded.version)`;
}

/**
 * The workspace's version as a scalar subquery (bigint; null when no usage was ever written), for
 * a statement that reads it beside what it versions, in the same snapshot.
 */
export function usageVersionOf(workspaceId: string): RawBuilder<string | null> {
  return sql<string | null>`(SELECT version FROM usage_versions WHERE owner_id = ${workspaceId}::uuid)`;
}

/** The version of the workspace's rollups, as text; null when no usage was ever written to them. */
export async function usageVersion(db: Kysely<Database>, workspaceId: string): Promise<string | null> {
  const result = await sql<{ version: string | null }>`SELECT ${usageVersionOf(workspaceId)}::text AS version`.execute(db);
  return result.rows[0]?.version ?? null;
}
