import { sql } from 'kysely';
import type { RunEvent } from '@tally/protocol';
import type { Db } from '../store/database.js';
import type { RunRow } from '../store/schema.js';
import type { RunEventLog } from './run-event-log.js';
import type { TerminalStatus } from './run-outcome.js';

/** What a run's end writes: its status, the assistant's answer (if any) and its last events. */
export interface RunEnd {
  run: Pick<RunRow, 'id' | 'owner_id' | 'thread_id'>;
  /** The lease owner the end is written for: nothing is written once another one holds the run. */
  nodeId: string;
  status: TerminalStatus;
  finishedAt: Date;
  /** The assistant message's id (the terminal event names it), written when `answer` is not null. */
  messageId: string;
  answer: string | null;
  /** The events still buffered, then the terminal event, in seq order. */
  events: RunEvent[];
}

/**
 * Ends the run in one transaction that commits only while `nodeId` holds its lease: the status,
 * the assistant message and the thread's time in one statement, then the events: two round trips.
 * The thread's title, for the activity frame; null when the lease was lost (nothing is written).
 */
export async function commitRunEnd(db: Db, log: RunEventLog, end: RunEnd): Promise<{ title: string } | null> {
  const { run, nodeId, status, finishedAt, messageId, answer } = end;
  return db.transaction().execute(async (tx) => {
    // Data-modifying CTEs run whether or not the main statement reads them, and each takes its
    // rows from `owned`, so a lost lease changes nothing.
    const ended = await tx
      .with('owned', (q) =>
        q
          .updateTable('runs')
          .set({ status, finished_at: finishedAt, lease_owner: null, lease_expires_at: null })
          .where('id', '=', run.id)
          .where('lease_owner', '=', nodeId)
          .where('status', '=', 'running')
          .returning('id'),
      )
      .with('answer', (q) =>
        q
          .insertInto('messages')
          .columns(['id', 'owner_id', 'thread_id', 'role', 'content', 'run_id', 'created_at'])
          .expression((eb) =>
            eb
              .selectFrom('owned')
              .select([
                sql<string>`${messageId}::uuid`.as('id'),
                sql<string>`${run.owner_id}::uuid`.as('owner_id'),
                sql<string>`${run.thread_id}::uuid`.as('thread_id'),
                sql<'assistant'>`'assistant'`.as('role'),
                sql<string>`${answer}::text`.as('content'),
                'owned.id as run_id',
                sql<Date>`${finishedAt}::timestamptz`.as('created_at'),
              ])
              .where(sql<boolean>`${answer !== null}::boolean`),
          )
          .returning('id'),
      )
      .with('touched', (q) =>
        q
          .updateTable('threads')
          .set({ updated_at: finishedAt })
          .where('id', '=', run.thread_id)
          .where(({ exists, selectFrom }) => exists(selectFrom('owned').select('owned.id')))
          .returning('title'),
      )
      .selectFrom('owned')
      .leftJoin('touched', (join) => join.onTrue())
      .select(['owned.id', 'touched.title'])
      .executeTakeFirst();
    if (!ended) return null;
    // The run's thread is gone (it cannot be while its runs are): nothing of the end is kept.
    if (ended.title === null) throw new Error(`thread ${run.thread_id} of run ${run.id} is missing`);
    await log.append(end.events, tx);
    return { title: ended.title };
  });
}

/**
 * Whether the run's log ends with this very event (same seq, type and time), i.e. this node's
 * end committed: an attempt whose commit landed while its answer was lost. The thread's title then.
 */
export async function findCommittedEnd(db: Db, run: Pick<RunRow, 'id' | 'thread_id'>, event: RunEvent): Promise<{ title: string } | null> {
  const row = await db
    .selectFrom('threads')
    .select('title')
    .where('id', '=', run.thread_id)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('run_events')
          .select('seq')
          .where('run_id', '=', run.id)
          .where('seq', '=', event.seq)
          .where('type', '=', event.type)
          .where('ts', '=', new Date(event.ts)),
      ),
    )
    .executeTakeFirst();
  return row ? { title: row.title } : null;
}
