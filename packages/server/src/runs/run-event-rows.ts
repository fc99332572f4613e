import type { RunEvent } from '@tally/protocol';
import { sql, type RawBuilder } from 'kysely';

/**
 * Run events as the rows of one JSON parameter, read back in SQL by `eventRecords`: any number of
 * rows in a fixed statement text, the same on PostgreSQL and PGlite, with no query to compile per
 * call (the query builder's compile of a multi-row insert was ~4 % of a node's CPU, issue 19).
 */
export function eventRows(events: RunEvent[]): string {
  return JSON.stringify(events.map((e) => ({ run_id: e.runId, seq: e.seq, type: e.type, data: e.data, ts: e.ts })));
}

/** The rows of `eventRows` as a relation `e(run_id, seq, type, data, ts)`, for a FROM clause. */
export function eventRecords(rows: string): RawBuilder<unknown> {
  return sql`jsonb_to_recordset(${rows}::jsonb) as e(run_id uuid, seq integer, type text, data jsonb, ts timestamptz)`;
}
