import { sql, type Kysely } from 'kysely';
import { SYSTEM_USER_ID } from '../system-user.js';

/** Tables whose rows are usage data: owned by a workspace from this migration on (the column keeps its name, `owner_id`). */
const USAGE_TABLES = ['usage_records', 'usage_daily', 'usage_prefix_buckets', 'usage_output_sizes'] as const;

/** The name of the workspace that owns Tally's own LLM usage (the system user's; it has no members). */
export const TALLY_OWN_USAGE_WORKSPACE_NAME = 'Tally (own LLM usage)';

/**
 * Workspaces own the data (issue 17). A personal workspace takes its person's id, so every row
 * that was owned by a user (usage rows, threads, runs, keys) is already in that user's personal
 * workspace and nothing is copied: the same id names both. On ClickHouse, whose rows cannot be
 * re-keyed cheaply (the owner is in the sort key), this is what makes the move free.
 *
 * - usage tables: `owner_id` now references workspaces (a team workspace owns rows too); Tally's own
 *   usage (the system user) gets a workspace with no members, so only the admin view reads it.
 * - threads: the workspace they belong to, and `shared_at` when their author shared them (read-only for
 *   the other members).
 * - runs: their thread's workspace, the data their agents analyse.
 * - api_keys: the workspace a key works in; keys made before are their owner's personal workspace's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Re-key personal workspaces to their person's id; members, invitations and audit rows follow.
  for (const table of ['workspace_members', 'workspace_invitations']) {
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.ref(`${table}_workspace_id_fkey`)}`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(`${table}_workspace_id_fkey`)}
      FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE ON UPDATE CASCADE`.execute(db);
  }
  await sql`UPDATE audit_events a SET workspace_id = w.personal_of
    FROM workspaces w WHERE a.workspace_id = w.id AND w.personal_of IS NOT NULL`.execute(db);
  await sql`UPDATE workspaces SET id = personal_of WHERE personal_of IS NOT NULL AND id <> personal_of`.execute(db);
  await sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${SYSTEM_USER_ID}::uuid, ${TALLY_OWN_USAGE_WORKSPACE_NAME}, NULL)
    ON CONFLICT (id) DO NOTHING`.execute(db);

  for (const table of USAGE_TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.ref(`${table}_owner_id_fkey`)}`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(`${table}_owner_id_fkey`)}
      FOREIGN KEY (owner_id) REFERENCES workspaces(id) ON DELETE CASCADE`.execute(db);
  }

  await sql`ALTER TABLE threads ADD COLUMN workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE`.execute(db);
  await sql`ALTER TABLE threads ADD COLUMN shared_at timestamptz`.execute(db);
  await sql`UPDATE threads SET workspace_id = owner_id`.execute(db);
  await sql`ALTER TABLE threads ALTER COLUMN workspace_id SET NOT NULL`.execute(db);
  await sql`CREATE INDEX threads_workspace_updated ON threads (workspace_id, updated_at DESC)`.execute(db);

  await sql`ALTER TABLE runs ADD COLUMN workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE`.execute(db);
  await sql`UPDATE runs r SET workspace_id = t.workspace_id FROM threads t WHERE t.id = r.thread_id`.execute(db);
  await sql`ALTER TABLE runs ALTER COLUMN workspace_id SET NOT NULL`.execute(db);

  await sql`ALTER TABLE api_keys ADD COLUMN workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE`.execute(db);
  await sql`UPDATE api_keys SET workspace_id = owner_id`.execute(db);
  await sql`ALTER TABLE api_keys ALTER COLUMN workspace_id SET NOT NULL`.execute(db);
  await sql`CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS api_keys_workspace`.execute(db);
  await sql`ALTER TABLE api_keys DROP COLUMN workspace_id`.execute(db);
  await sql`ALTER TABLE runs DROP COLUMN workspace_id`.execute(db);
  await sql`DROP INDEX IF EXISTS threads_workspace_updated`.execute(db);
  await sql`ALTER TABLE threads DROP COLUMN shared_at`.execute(db);
  // Threads of team workspaces cannot go back to a world without them: their authors keep them.
  await sql`ALTER TABLE threads DROP COLUMN workspace_id`.execute(db);
  // Team workspaces' usage has no user to belong to; it goes with the workspaces.
  for (const table of USAGE_TABLES) {
    await sql`DELETE FROM ${sql.table(table)} WHERE owner_id NOT IN (SELECT id FROM users)`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.ref(`${table}_owner_id_fkey`)}`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(`${table}_owner_id_fkey`)}
      FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE CASCADE`.execute(db);
  }
  await sql`DELETE FROM workspaces WHERE id = ${SYSTEM_USER_ID}::uuid`.execute(db);
}
