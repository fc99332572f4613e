import { sql, type Kysely } from 'kysely';
import { SYSTEM_USER_ID } from '../system-user.js';

/**
 * Workspaces (issue 17, the foundation): a workspace, its members with one role each, and
 * single-use invitations stored as a hash of their token. Every existing user gets their personal
 * workspace here (new ones at sign-up, workspaces/personal-workspace.ts), so the re-scoping of
 * usage, threads and keys that follows has a workspace for every row it moves. The audit log gains
 * the workspace an event belongs to, for the workspace's own log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    personal_of uuid UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);

  await sql`CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
  )`.execute(db);
  await sql`CREATE INDEX workspace_members_user ON workspace_members (user_id)`.execute(db);

  await sql`CREATE TABLE workspace_invitations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    email text,
    token_hash text NOT NULL UNIQUE,
    created_by uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users(id) ON DELETE SET NULL,
    revoked_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX workspace_invitations_workspace ON workspace_invitations (workspace_id, created_at DESC)`.execute(db);

  // No foreign key, as for the actor: the record outlives the workspace it names.
  await sql`ALTER TABLE audit_events ADD COLUMN workspace_id uuid`.execute(db);
  await sql`CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id DESC) WHERE workspace_id IS NOT NULL`.execute(db);

  // Every account from before gets its personal workspace, which it owns; Tally's own usage owner is no one's.
  await sql`INSERT INTO workspaces (id, name, personal_of, created_at)
    SELECT gen_random_uuid(), 'Personal', u.id, u.created_at FROM users u WHERE u.id <> ${SYSTEM_USER_ID}::uuid`.execute(db);
  await sql`INSERT INTO workspace_members (workspace_id, user_id, role, joined_at)
    SELECT w.id, w.personal_of, 'owner', w.created_at FROM workspaces w WHERE w.personal_of IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS audit_events_workspace`.execute(db);
  await db.schema.alterTable('audit_events').dropColumn('workspace_id').execute();
  for (const table of ['workspace_invitations', 'workspace_members', 'workspaces']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
