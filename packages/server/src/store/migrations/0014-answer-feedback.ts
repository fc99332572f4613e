import { sql, type Kysely } from 'kysely';

/**
 * `answer_feedback`: a user's thumbs up or down on the answer of one of their runs, with an optional
 * note; one per run (a second rating replaces the first). It goes with its run, thread and user.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('answer_feedback')
    .addColumn('run_id', 'uuid', (c) => c.primaryKey().references('runs.id').onDelete('cascade'))
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('rating', 'text', (c) => c.notNull().check(sql`rating in ('up', 'down')`))
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The admin list reads newest first; a user's own reads go through run_id.
  await db.schema.createIndex('answer_feedback_updated').on('answer_feedback').columns(['updated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('answer_feedback').execute();
}
