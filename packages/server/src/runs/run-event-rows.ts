import type { RunEvent } from '@tally/protocol';
import { sql, type RawBuilder } from 'kysely';

/**
 * A run event with its JSON as it is published: serialised once, by whoever made the event, and
 * written to the log as that same text (the log reads it apart in SQL). A second serialisation
 * for the log was among the node's costliest functions of its own under load (issue 19), and
 * for a run's end the statement and the publish each serialised the report (~20 KB) again.
 */
export interface LoggedEvent {
  readonly event: RunEvent;
  readonly json: string;
}

export function loggedEvent(event: RunEvent): LoggedEvent {
  return { event, json: JSON.stringify(event) };
}

/**
 * Run events as the rows of one JSON parameter, read back in SQL by `eventRecords`: any number of
 * rows in a fixed statement text, the same on PostgreSQL and PGlite, with no query to compile per
 * call (the query builder's compile of a multi-row insert was ~4 % of a node's CPU, issue 19).
 */
export function eventRows(events: LoggedEvent[]): string {
  return `[${events.map((e) => e.json).join(',')}]`;
}

/**
 * The rows of `eventRows` as a relation `e("runId", seq, type, data, ts)`, for a FROM clause: the
 * fields of the events' own JSON (the protocol's RunEvent), the others ignored.
 */
export function eventRecords(rows: string): RawBuilder<unknown> {
  return sql`jsonb_to_recordset(${rows}::jsonb) as e("runId" uuid, seq integer, type text, data jsonb, ts timestamptz)`;
}
