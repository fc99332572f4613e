import { type Kysely } from 'kysely';

/**
 * `threads.deleted_at`: a thread being deleted is hidden at once, while its runs are stopped; it
 * is removed (with its messages and runs) once none of them is going (threads/thread-deletion.ts).
 * `users.display_name`: the name a user chose to be shown by (PATCH /v1/me).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('threads').addColumn('deleted_at', 'timestamptz').execute();
  await db.schema.alterTable('users').addColumn('display_name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('display_name').execute();
  await db.schema.alterTable('threads').dropColumn('deleted_at').execute();
}
