import { sql } from 'kysely';
import type { RunEvent } from '@tally/protocol';
import type { Db } from '../store/database.js';
import type { RunRow } from '../store/schema.js';
import { eventRecords, eventRows, type LoggedEvent } from './run-event-rows.js';
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
  events: LoggedEvent[];
}

/**
 * Ends the run in ONE statement that writes only while `nodeId` holds its lease: the status (and
 * last_seq), the assistant message, the last events and the thread's time, each a data-modifying
 * CTE that takes its rows from `owned`, so a lost lease changes nothing. One statement is atomic
 * as the transaction it replaces (begin, the run's row, the events, commit: four round trips,
 * issue 19), and a unique (run_id, seq) conflict still fails all of it. A fixed text, with no
 * query to compile per run. The thread's title, for the activity frame; null when the lease was
 * lost. The thread's row exists whenever the run's does (runs go with their thread, by cascade).
 */
export async function commitRunEnd(db: Db, end: RunEnd): Promise<{ title: string } | null> {
  const { run, nodeId, status, finishedAt, messageId, answer, events } = end;
  const lastSeq = events.at(-1)?.event.seq ?? 0;
  const { rows } = await sql<{ title: string }>`
    with owned as (
      update runs
      set status = ${status}, finished_at = ${finishedAt}::timestamptz, lease_owner = null, lease_expires_at = null,
        last_seq = greatest(last_seq, ${lastSeq}::integer)
      where id = ${run.id}::uuid and lease_owner = ${nodeId} and status = 'running'
      returning id
    ),
    answer as (
      insert into messages (id, owner_id, thread_id, role, content, run_id, created_at)
      select ${messageId}::uuid, ${run.owner_id}::uuid, ${run.thread_id}::uuid, 'assistant', ${answer}::text, owned.id, ${finishedAt}::timestamptz
      from owned
      where ${answer !== null}::boolean
    ),
    logged as (
      insert into run_events (run_id, seq, type, data, ts)
      select e."runId", e.seq, e.type, e.data, e.ts
      from owned, ${eventRecords(eventRows(events))}
    ),
    touched as (
      update threads set updated_at = ${finishedAt}::timestamptz
      where id = ${run.thread_id}::uuid and exists (select 1 from owned)
      returning title
    )
    select touched.title from owned join touched on true
  `.execute(db);
  return rows[0] ?? null;
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
