import { sql } from 'kysely';
import type { BusyPolicy, RunEvent, WorkspaceRole } from '@tally/protocol';
import type { Db } from '../store/database.js';

/** What queuing a run writes: its thread (touched, or created with its title), the user's message, the run and its run_queued event. */
export interface RunStart {
  run: { id: string; ownerId: string; workspaceId: string; threadId: string; messageId: string; clientCommandId: string | null; traceparent: string | null };
  /** The workspace roles that may ask there: the owner's membership is read in the same statement. */
  roles: readonly WorkspaceRole[];
  /** The thread to create, or null when the run goes into an existing one (its time is touched). */
  newThread: { title: string } | null;
  /** What to do when the existing thread has runs going. */
  onBusy: BusyPolicy;
  text: string;
  at: Date;
  /** run_queued, seq 1. */
  queued: RunEvent;
  /** The most runs the owner may have queued or running; null for no cap. */
  cap: number | null;
}

/** What became of a start: queued, or why not. */
export type RunStartOutcome =
  /** `busy`: the thread's runs that were going (oldest first), for `interrupt`. */
  | { outcome: 'queued'; title: string; shared: boolean; busy: string[] }
  /** The command was sent before: the run it queued then. */
  | { outcome: 'resent'; runId: string; threadId: string; messageId: string }
  | { outcome: 'disabled' }
  /** Not a member of the workspace (now), or a member whose role may not ask. */
  | { outcome: 'not_member' }
  | { outcome: 'forbidden' }
  | { outcome: 'limit' }
  | { outcome: 'thread_not_found' }
  /** `reject` and the thread has runs going (oldest first). */
  | { outcome: 'busy'; busy: string[] };

interface QueueRunRow {
  outcome: RunStartOutcome['outcome'];
  run_id: string | null;
  thread_id: string | null;
  message_id: string | null;
  title: string | null;
  shared: boolean | null;
  busy: string[] | null;
}

/**
 * Queues a run in ONE round trip: the database function queue_run (migration 0017) takes the
 * owner's lock, reads the owner's workspace role, finds a resent command, checks the account, the
 * owner's cap and the thread (its lock, its workspace, its runs going), then writes the thread,
 * the message, the run and its first event in one statement. It was a role read and a
 * transaction of four to six statements, each a write system call for the node and a wake-up for
 * PostgreSQL (issue 19). A fixed text, so it runs as a prepared statement
 * (store/prepared-statements.ts). The run's last_seq is the event's seq.
 */
export async function queueRun(db: Db, start: RunStart): Promise<RunStartOutcome> {
  const { run, roles, newThread, onBusy, text, at, queued, cap } = start;
  // Built rather than a fixed text so its trace span says what it is (SELECT queue_run); the
  // arguments are named, so their order is not the signature's to keep.
  const argument = (name: string, value: unknown, type: string) => sql`${sql.raw(name)} => ${value}::${sql.raw(type)}`;
  const row = (await db
    .selectFrom((eb) =>
      eb
        .fn<QueueRunRow>('queue_run', [
          argument('p_owner', run.ownerId, 'uuid'),
          argument('p_workspace', run.workspaceId, 'uuid'),
          argument('p_roles', roles, 'text[]'),
          argument('p_command', run.clientCommandId, 'text'),
          argument('p_thread', newThread ? null : run.threadId, 'uuid'),
          argument('p_new_thread', newThread ? run.threadId : null, 'uuid'),
          argument('p_title', newThread?.title ?? null, 'text'),
          argument('p_on_busy', onBusy, 'text'),
          argument('p_cap', cap, 'integer'),
          argument('p_run', run.id, 'uuid'),
          argument('p_message', run.messageId, 'uuid'),
          argument('p_text', text, 'text'),
          argument('p_at', at, 'timestamptz'),
          argument('p_traceparent', run.traceparent, 'text'),
          argument('p_event_seq', queued.seq, 'integer'),
          argument('p_event_type', queued.type, 'text'),
          argument('p_event_data', JSON.stringify(queued.data), 'jsonb'),
          argument('p_event_ts', queued.ts, 'timestamptz'),
        ])
        .as('started'),
    )
    .selectAll()
    .executeTakeFirst()) as QueueRunRow | undefined;
  if (!row) throw new Error('queue_run returned no row');
  switch (row.outcome) {
    case 'queued':
      return { outcome: 'queued', title: row.title!, shared: row.shared === true, busy: row.busy ?? [] };
    case 'resent':
      return { outcome: 'resent', runId: row.run_id!, threadId: row.thread_id!, messageId: row.message_id! };
    case 'busy':
      return { outcome: 'busy', busy: row.busy ?? [] };
    case 'disabled':
    case 'not_member':
    case 'forbidden':
    case 'limit':
    case 'thread_not_found':
      return { outcome: row.outcome };
    default: {
      const never: never = row.outcome;
      throw new Error(`queue_run answered ${String(never)}`);
    }
  }
}
