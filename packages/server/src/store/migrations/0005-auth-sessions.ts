import { sql, type Kysely } from 'kysely';

/**
 * Sessions a user can see and revoke (a device, an IP, when last seen), and their refresh
 * tokens, which rotate on every use: the old `sessions` table becomes `refresh_tokens`, each
 * token belonging to one session. A token used twice gives the session away as stolen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('auth_sessions_user').on('auth_sessions').columns(['user_id', 'revoked_at']).execute();

  await db.schema.alterTable('sessions').renameTo('refresh_tokens').execute();
  // Tokens issued before this migration belong to no session: they stop working.
  await db.deleteFrom('refresh_tokens' as never).execute();
  await db.schema
    .alterTable('refresh_tokens')
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('auth_sessions.id').onDelete('cascade'))
    .execute();
  await db.schema.alterTable('refresh_tokens').addColumn('used_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('used_at').dropColumn('session_id').execute();
  await db.schema.alterTable('refresh_tokens').renameTo('sessions').execute();
  await db.schema.dropTable('auth_sessions').execute();
}
