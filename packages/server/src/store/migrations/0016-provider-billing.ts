import { sql, type Kysely } from 'kysely';

/**
 * Provider connectors (issue 18):
 * - `provider_connections`: one per workspace and provider, holding the provider's admin key
 *   encrypted (connectors/admin-key-cipher.ts; never the plain key) and the sync's state: its lease
 *   (one node syncs a connection at a time, like runs' claims), its schedule and its last outcome.
 * - `provider_billing_buckets`: the provider's own figures, aggregated per bucket. Every grouping
 *   column is NOT NULL ('' = not broken down) so the whole grouping is one primary key: a bucket
 *   fetched again replaces the stored one, which makes a re-sync idempotent and lets a partial
 *   current day be corrected later. Kept apart from usage_records on purpose: they are not requests,
 *   and adding them there would count the same spend twice.
 * - `workspace_usage_sources`: which source is authoritative for totals per provider; no row = auto.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provider_connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider in ('openai', 'anthropic')`))
    .addColumn('admin_key_ciphertext', 'text', (c) => c.notNull())
    .addColumn('key_hint', 'text')
    .addColumn('backfill_days', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_sync_started_at', 'timestamptz')
    .addColumn('last_sync_finished_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('synced_through', 'timestamptz')
    .addColumn('next_sync_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('sync_requested_at', 'timestamptz')
    .addUniqueConstraint('provider_connections_workspace_provider', ['workspace_id', 'provider'])
    .execute();
  // The scheduler's claim looks for due connections.
  await db.schema.createIndex('provider_connections_next_sync').on('provider_connections').columns(['next_sync_at']).execute();

  await sql`CREATE TABLE provider_billing_buckets (
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider in ('openai', 'anthropic')),
    kind text NOT NULL CHECK (kind in ('usage', 'cost')),
    bucket_width text NOT NULL CHECK (bucket_width in ('1h', '1d')),
    bucket_start timestamptz NOT NULL,
    model text NOT NULL DEFAULT '',
    project_id text NOT NULL DEFAULT '',
    api_key_id text NOT NULL DEFAULT '',
    batch text NOT NULL DEFAULT '' CHECK (batch in ('true', 'false', '')),
    service_tier text NOT NULL DEFAULT '',
    line_item text NOT NULL DEFAULT '',
    requests bigint NOT NULL DEFAULT 0,
    input_tokens bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens bigint NOT NULL DEFAULT 0,
    cache_write_tokens bigint NOT NULL DEFAULT 0,
    cost_usd double precision,
    currency text NOT NULL DEFAULT 'usd',
    fetched_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, provider, kind, bucket_width, bucket_start, model, project_id, api_key_id, batch, service_tier, line_item)
  )`.execute(db);

  await db.schema
    .createTable('workspace_usage_sources')
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('authoritative', 'text', (c) => c.notNull().check(sql`authoritative in ('requests', 'billing')`))
    .addColumn('updated_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('workspace_usage_sources_pk', ['workspace_id', 'provider'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('workspace_usage_sources').execute();
  await db.schema.dropTable('provider_billing_buckets').execute();
  await db.schema.dropTable('provider_connections').execute();
}
