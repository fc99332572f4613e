import { sql } from 'kysely';
import type { RunEvent } from '@tally/protocol';
import type { Db } from '../store/database.js';
import { eventRecords, eventRows } from './run-event-rows.js';

/** What queuing a run writes: its thread (touched, or created with its title), the user's message, the run and its run_queued event. */
export interface RunStart {
  run: { id: string; ownerId: string; workspaceId: string; threadId: string; messageId: string; clientCommandId: string | null; traceparent: string | null };
  /** The thread to create, or null when the run goes into an existing one (its time is touched). */
  newThread: { title: string } | null;
  text: string;
  at: Date;
  /** run_queued, seq 1. */
  queued: RunEvent;
}

/**
 * Queues a run in ONE statement, in the caller's transaction (which holds the user's and the
 * thread's locks): each write a CTE of the run's insert, so the thread, the message, the run and
 * its first event cost one round trip (the event was a statement of its own, issue 19). The
 * foreign keys to the new thread and the new run are checked at the statement's end, when they
 * exist. The run's last_seq is the event's seq from the start. Built rather than a fixed text so
 * its trace span says what it is (INSERT runs).
 */
export async function insertQueuedRun(tx: Db, start: RunStart): Promise<void> {
  const { run, newThread, text, at, queued } = start;
  await tx
    .with('thread', (q) =>
      newThread
        ? q.insertInto('threads').values({ id: run.threadId, owner_id: run.ownerId, workspace_id: run.workspaceId, title: newThread.title, created_at: at, updated_at: at }).returning('id')
        : q.updateTable('threads').set({ updated_at: at }).where('id', '=', run.threadId).returning('id'),
    )
    .with('message', (q) =>
      q.insertInto('messages').values({ id: run.messageId, owner_id: run.ownerId, thread_id: run.threadId, role: 'user', content: text, run_id: run.id, created_at: at }).returning('id'),
    )
    .with('queued', (q) =>
      q
        .insertInto('run_events')
        .columns(['run_id', 'seq', 'type', 'data', 'ts'])
        .expression(sql`select e.run_id, e.seq, e.type, e.data, e.ts from ${eventRecords(eventRows([queued]))}`)
        .returning('seq'),
    )
    .insertInto('runs')
    .values({
      id: run.id,
      owner_id: run.ownerId,
      workspace_id: run.workspaceId,
      thread_id: run.threadId,
      message_id: run.messageId,
      client_command_id: run.clientCommandId,
      status: 'queued',
      created_at: at,
      traceparent: run.traceparent,
      last_seq: queued.seq,
    })
    .execute();
}
