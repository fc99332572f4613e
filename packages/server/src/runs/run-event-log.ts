import { PROTOCOL_VERSION, type RunEvent } from '@tally/protocol';
import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import { isConnectionError } from '../store/postgres-errors.js';
import type { RunEventRow } from '../store/schema.js';
import { createGroupedWriter } from './grouped-writer.js';
import { commitRunEnd, type RunEnd } from './run-end-transaction.js';
import { eventRecords, eventRows, type LoggedEvent } from './run-event-rows.js';
import { queueRun, type RunStart, type RunStartOutcome } from './run-start-statement.js';

/**
 * The run's event log in the relational store: the source of truth for replay. An event is in
 * the log before it is published, so a subscriber that reads the log after subscribing to the
 * bus misses nothing.
 *
 * Where a node writes and reads run events. The SQL log is the product's; the composition root
 * takes another (benches measure the pipeline with an in-memory one to price persistence, and
 * count writes with a wrapper around the SQL one).
 */
export interface RunEventLog {
  /** Appends events in seq order; inside `tx` when given (the caller's transaction must hold them). */
  append(events: LoggedEvent[], tx?: Db): Promise<void>;
  /**
   * Queues a run with its first event (run_queued) in one statement, after the account, the
   * owner's cap and the thread were checked under their locks (run-start-statement.ts); what
   * became of it.
   */
  start(start: RunStart): Promise<RunStartOutcome>;
  /**
   * Ends a run: its last events (the terminal one last) with its status, answer and thread time,
   * in one statement that writes only while `end.nodeId` holds the lease (run-end-transaction.ts).
   * The thread's title; null when the lease was lost (nothing is written).
   */
  end(end: RunEnd): Promise<{ title: string } | null>;
  /** Events of a run after a seq, in order. The caller has checked the run is the user's. */
  list(run: { id: string; thread_id: string }, afterSeq: number, limit?: number): Promise<RunEvent[]>;
}

/**
 * The SQL log. Appends outside a transaction (the emitters' write-behind batches) go through one
 * writer per log, so the composition root's one log is the node's one writer: every run's batch
 * that is due at the same moment goes in one statement (grouped-writer.ts); an append in a
 * caller's transaction is that transaction's own statement.
 */
export function createSqlRunEventLog(db: Db): RunEventLog {
  const writer = createGroupedWriter<LoggedEvent>({
    writeMany: (events) => appendRunEvents(db, events),
    writeOne: (events) => appendRunEvents(db, events),
    isShared: isConnectionError,
  });
  return {
    append: (events, tx) => (tx ? appendRunEvents(tx, events) : writer.append(events)),
    start: (start) => queueRun(db, start),
    end: (end) => commitRunEnd(db, end),
    list: (run, afterSeq, limit) => listRunEvents(db, run, afterSeq, limit),
  };
}

/**
 * Appends events of one run or many (each run's in seq order; in a caller's transaction or not)
 * and moves each run's last_seq, in one statement: the insert rides in a CTE of the update, so a
 * batch costs one round trip and the two cannot be split by a crash. The rows travel as one JSON
 * array parameter (run-event-rows.ts). A unique (run_id, seq) conflict
 * of any run fails the whole statement, so nothing of any run is written.
 */
export async function appendRunEvents(db: Db, events: LoggedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql`
    with appended as (
      insert into run_events (run_id, seq, type, data, ts)
      select "runId", seq, type, data, ts
      from ${eventRecords(eventRows(events))}
      returning run_id, seq
    )
    update runs set last_seq = m.seq
    from (select run_id, max(seq) as seq from appended group by run_id) as m
    where runs.id = m.run_id and runs.last_seq < m.seq
  `.execute(db);
}

/** Events of a run after a seq, in order. The caller has checked the run is the user's. */
export async function listRunEvents(db: Db, run: { id: string; thread_id: string }, afterSeq: number, limit = 10_000): Promise<RunEvent[]> {
  const rows = await db
    .selectFrom('run_events')
    .selectAll()
    .where('run_id', '=', run.id)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => fromRow(row, run.thread_id));
}

function fromRow(row: RunEventRow, threadId: string): RunEvent {
  const data = typeof row.data === 'string' ? JSON.parse(row.data) : row.data;
  return { v: PROTOCOL_VERSION, type: row.type, runId: row.run_id, threadId, seq: row.seq, ts: new Date(row.ts).toISOString(), data } as RunEvent;
}
