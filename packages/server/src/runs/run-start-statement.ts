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
  /**
   * The most runs the owner may have queued or running, checked by this statement; null when the
   * caller checked already. The caller's transaction holds the owner's row lock, so every run of
   * the owner that another message started is in this statement's snapshot.
   */
  cap: number | null;
}

/**
 * Queues a run in ONE statement, in the caller's transaction (which holds the user's and the
 * thread's locks): each write a CTE of the run's insert, so the thread, the message, the run and
 * its first event cost one round trip (the event and the cap's count were statements of their
 * own, issue 19). The run and its event are written only while the owner is under the cap;
 * otherwise false, and the caller's transaction must roll the thread and message back. The
 * foreign keys to the new thread and the new run are checked at the statement's end, when they
 * exist. The run's last_seq is the event's seq from the start. Built rather than a fixed text so
 * its trace span says what it is (INSERT runs).
 */
export async function insertQueuedRun(tx: Db, start: RunStart): Promise<boolean> {
  const { run, newThread, text, at, queued, cap } = start;
  const underCap = sql`(${cap}::integer is null or (select count(*) from runs where owner_id = ${run.ownerId}::uuid and status in ('queued', 'running')) < ${cap}::integer)`;
  const inserted = await tx
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
        .expression(sql`select e.run_id, e.seq, e.type, e.data, e.ts from ${eventRecords(eventRows([queued]))} where ${underCap}`)
        .returning('seq'),
    )
    .insertInto('runs')
    .columns(['id', 'owner_id', 'workspace_id', 'thread_id', 'message_id', 'client_command_id', 'status', 'created_at', 'traceparent', 'last_seq'])
    .expression(
      sql`select ${run.id}::uuid, ${run.ownerId}::uuid, ${run.workspaceId}::uuid, ${run.threadId}::uuid, ${run.messageId}::uuid, ${run.clientCommandId}::text,
        'queued', ${at}::timestamptz, ${run.traceparent}::text, ${queued.seq}::integer
        where ${underCap}`,
    )
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}
