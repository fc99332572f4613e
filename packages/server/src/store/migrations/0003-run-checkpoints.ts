import { sql, type Kysely } from 'kysely';

/**
 * Per-run checkpoints: the values of the agent steps a run completed, so a node that takes the
 * run over (its node died, or shut down) goes on from the last completed step.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_checkpoints')
    .addColumn('run_id', 'uuid', (c) => c.primaryKey().references('runs.id').onDelete('cascade'))
    .addColumn('steps', 'jsonb', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Finding expired leases and the next run of a thread stays an index lookup as history grows.
  await db.schema.createIndex('runs_thread_status').on('runs').columns(['thread_id', 'status']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('runs_thread_status').ifExists().execute();
  await db.schema.dropTable('run_checkpoints').ifExists().execute();
}
