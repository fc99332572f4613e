import type { Kysely } from 'kysely';

/**
 * The W3C traceparent of the request that queued a run (null when tracing was off), so that the
 * node that claims the run continues that trace, whichever node it is (telemetry/traceparent.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('traceparent', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('traceparent').execute();
}
