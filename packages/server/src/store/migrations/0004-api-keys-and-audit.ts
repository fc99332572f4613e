import { sql, type Kysely } from 'kysely';

/**
 * API keys (stored as sha256 of the key), disabled accounts, admin-issued password resets, the
 * audit log of security events, and the admin's LLM settings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Set while an admin has the account disabled: checked on every authenticated request.
  await db.schema.alterTable('users').addColumn('disabled_at', 'timestamptz').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // JSON array of scopes, e.g. ["usage:write"].
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    // `tally_` and the key's first 8 characters, for the owner to recognise it.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_owner').on('api_keys').columns(['owner_id', 'created_at']).execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('password_resets_user').on('password_resets').column('user_id').execute();

  // No foreign key on the actor: the record outlives the account it names.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  // One row (id = 1) when an admin has set the LLM; none means the environment's TALLY_LLM_*.
  await db.schema
    .createTable('llm_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider in ('offline', 'openai-compatible', 'anthropic')`))
    .addColumn('base_url', 'text')
    .addColumn('model', 'text')
    .addColumn('api_key', 'text')
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['llm_settings', 'audit_events', 'password_resets', 'api_keys']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
}
