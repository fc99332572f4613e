import { PROTOCOL_VERSION, type RunEvent } from '@tally/protocol';
import type { Db } from '../store/database.js';
import type { RunEventRow } from '../store/schema.js';

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
  append(events: RunEvent[], tx?: Db): Promise<void>;
  /** Events of a run after a seq, in order. The caller has checked the run is the user's. */
  list(run: { id: string; thread_id: string }, afterSeq: number, limit?: number): Promise<RunEvent[]>;
}

export function createSqlRunEventLog(db: Db): RunEventLog {
  return {
    append: (events, tx) => appendRunEvents(tx ?? db, events),
    list: (run, afterSeq, limit) => listRunEvents(db, run, afterSeq, limit),
  };
}

/**
 * Appends events (in a caller's transaction or not) and moves the run's last_seq, in one
 * statement: the insert rides in a CTE of the update, so a batch costs one round trip (the run's
 * writer holds a pooled connection for half as long) and the two cannot be split by a crash.
 */
export async function appendRunEvents(db: Db, events: RunEvent[]): Promise<void> {
  if (events.length === 0) return;
  const last = events[events.length - 1]!;
  await db
    .with('appended', (q) =>
      q.insertInto('run_events').values(events.map((e) => ({ run_id: e.runId, seq: e.seq, type: e.type, data: JSON.stringify(e.data), ts: e.ts }))).returning('seq'),
    )
    .updateTable('runs')
    .set({ last_seq: last.seq })
    .where('id', '=', last.runId)
    .where('last_seq', '<', last.seq)
    .execute();
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
