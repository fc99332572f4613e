import crypto from 'node:crypto';
import { PROTOCOL_VERSION, ROLE_PERMISSIONS, roleAllows, type BusyPolicy, type Run, type RunEvent, type ThreadActivityFrame, type WorkspaceRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { isUniqueViolation } from '../store/postgres-errors.js';
import type { FixedWindowLimit } from '../limits/fixed-window-limit.js';
import type { RunRow } from '../store/schema.js';
import { createSqlRunEventLog, type RunEventLog } from './run-event-log.js';
import type { RunStartOutcome } from './run-start-statement.js';
import { createRunEventSequence } from './run-event-sequence.js';
import { loggedEvent } from './run-event-rows.js';
import { activeTraceparent } from '../telemetry/traceparent.js';
import type { WorkspaceCaller } from '../workspaces/workspace-caller.js';
import { workspaceRefusal } from '../workspaces/workspace-authorization.js';

export interface StartRunInput {
  user: { id: string };
  /**
   * The workspace the run analyses; a new thread is made there, an existing one must be the
   * caller's there. The caller's role there is read by the start's own statement, which asks
   * nothing unless it allows 'agents.ask' (an API key's own workspace is the caller's to check).
   */
  workspaceId: string;
  threadId?: string | undefined;
  text: string;
  /** The command id: a resend with the same id returns the run it created. */
  clientCommandId?: string | undefined;
  /** What to do when the thread has a run going (double-texting); default `reject`. */
  onBusy?: BusyPolicy;
  /**
   * The new run's id, when the caller needs it before the run exists (the gateway listens for
   * the run's events first); a random one otherwise.
   */
  runId?: string | undefined;
}

export interface StartedRun {
  runId: string;
  threadId: string;
  messageId: string;
  /** False when this was a resend that found the run it had already created. */
  created: boolean;
}

export interface RunService {
  start(input: StartRunInput): Promise<StartedRun>;
  /**
   * Asks the run to stop, wherever it runs. RUN_NOT_FOUND for another user's run: the caller
   * checked it is in the workspace named (authored()).
   */
  stop(ownerId: string, runId: string): Promise<{ status: Run['status'] }>;
  /**
   * A run the caller may read in the workspace: theirs, or one of a thread shared there, its
   * thread not being deleted; RUN_NOT_FOUND otherwise.
   */
  readable(caller: WorkspaceCaller, runId: string): Promise<RunRow>;
  /** A run the caller may act on (stop, rate): theirs in the workspace; THREAD_READ_ONLY for another's shared one. */
  authored(caller: WorkspaceCaller, runId: string): Promise<RunRow>;
  get(caller: WorkspaceCaller, runId: string): Promise<Run>;
  /** The queued and running runs of a thread, oldest first; the caller checked it may see the thread. */
  activeInThread(threadId: string): Promise<Array<{ id: string; status: Run['status'] }>>;
  events(caller: WorkspaceCaller, runId: string, afterSeq: number, limit?: number): Promise<RunEvent[]>;
}

const ACTIVE = ['queued', 'running'] as const;

/** The workspace roles that may start a run there. */
const ASKING_ROLES = (Object.keys(ROLE_PERMISSIONS) as WorkspaceRole[]).filter((role) => roleAllows(role, 'agents.ask'));

const runLimitReached = (max: number) => new AppError('RUN_LIMIT_REACHED', `At most ${max} runs at once; wait for one to finish or stop one.`);

export interface RunLimits {
  /** Runs queued or running at once, per user, across all nodes. */
  maxActiveRuns: number;
  /** Messages per user per window. */
  messageRate?: FixedWindowLimit;
}

export interface RunServiceDeps {
  db: Db;
  bus: Bus;
  /** Names a new thread from its first message (the agents' topic classifier: agents/thread-title.ts). */
  titleThread: (text: string, at: Date) => string;
  limits?: RunLimits;
  now?: () => Date;
  eventLog?: RunEventLog;
}

export function createRunService(deps: RunServiceDeps): RunService {
  const { db, bus } = deps;
  const log = deps.eventLog ?? createSqlRunEventLog(db);
  const now = deps.now ?? (() => new Date());

  async function getOwned(ownerId: string, runId: string): Promise<RunRow> {
    const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).where('owner_id', '=', ownerId).executeTakeFirst();
    if (!row) throw new AppError('RUN_NOT_FOUND');
    return row;
  }

  async function readable(caller: WorkspaceCaller, runId: string): Promise<RunRow> {
    const row = await db
      .selectFrom('runs')
      .innerJoin('threads', 'threads.id', 'runs.thread_id')
      .selectAll('runs')
      .where('runs.id', '=', runId)
      .where('runs.workspace_id', '=', caller.workspaceId)
      .where('threads.workspace_id', '=', caller.workspaceId)
      .where('threads.deleted_at', 'is', null)
      .where((eb) => eb.or([eb('runs.owner_id', '=', caller.userId), eb('threads.shared_at', 'is not', null)]))
      .executeTakeFirst();
    if (!row) throw new AppError('RUN_NOT_FOUND');
    return row;
  }

  async function findByCommand(ownerId: string, commandId: string): Promise<StartedRun | null> {
    const row = await db
      .selectFrom('runs')
      .select(['id', 'thread_id', 'message_id'])
      .where('owner_id', '=', ownerId)
      .where('client_command_id', '=', commandId)
      .executeTakeFirst();
    return row ? { runId: row.id, threadId: row.thread_id, messageId: row.message_id, created: false } : null;
  }

  // The database already holds the change; the bus only hurries it along (workers poll, subscribers
  // read the log, heartbeats carry stops), so a bus that is down must not fail the command.
  const notify = (channel: string, message: string) => bus.publish(channel, message).catch(() => undefined);

  const service: RunService = {
    async start(input) {
      const { user, workspaceId, threadId, text, clientCommandId, onBusy = 'reject' } = input;
      // Before any statement: a request over the rate costs the database nothing. A resent command
      // counts too (it is found by its id in the start's one statement, see below).
      await deps.limits?.messageRate?.hit(user.id);
      const runId = input.runId ?? crypto.randomUUID();
      const messageId = crypto.randomUUID();
      const at = now();
      // A new thread is named by its topic (not its first words), so a sidebar of threads tells them apart.
      const newThread = threadId ? null : { title: deps.titleThread(text, at) };
      const tid = threadId ?? crypto.randomUUID();
      const queued = createRunEventSequence({ id: runId, threadId: tid, lastSeq: 0 }, () => at).next({ type: 'run_queued', data: { messageId, text } });
      const run = { id: runId, ownerId: user.id, workspaceId, threadId: tid, messageId, clientCommandId: clientCommandId ?? null, traceparent: activeTraceparent() };
      // One statement (run-start-statement.ts): the account as it is now, whatever credential sent
      // the message (a disabled or deleted one starts nothing); its role in the workspace, read
      // now; a resent command's run; the cap, under the owner's lock, so it holds when messages
      // race on several nodes; only the author asks in a thread, in its workspace, never one being
      // deleted, and two messages racing into one thread are decided one by one; then the writes.
      let started: RunStartOutcome;
      try {
        started = await log.start({ run, roles: ASKING_ROLES, newThread, onBusy, text, at, queued, cap: deps.limits?.maxActiveRuns ?? null });
      } catch (error) {
        // Two resends racing past the lookup: the unique (owner, command id) index lets one win; the other finds it.
        if (clientCommandId && isUniqueViolation(error)) {
          const existing = await findByCommand(user.id, clientCommandId);
          if (existing) return existing;
        }
        throw error;
      }
      switch (started.outcome) {
        case 'resent':
          return { runId: started.runId, threadId: started.threadId, messageId: started.messageId, created: false };
        case 'disabled':
          throw new AppError('AUTH_ACCOUNT_DISABLED');
        case 'not_member':
        case 'forbidden':
          throw workspaceRefusal(started.outcome);
        case 'limit':
          throw runLimitReached(deps.limits!.maxActiveRuns);
        case 'thread_not_found':
          throw new AppError('THREAD_NOT_FOUND');
        case 'busy':
          throw new AppError('THREAD_BUSY', 'A run is already in progress in this thread; stop it, wait for it, or send with onBusy "queue" or "interrupt".', {
            runId: started.busy[0]!,
          });
        case 'queued':
          break;
      }
      // The interrupted runs end first; the claim query starts this one only after them.
      if (onBusy === 'interrupt') for (const id of started.busy) await service.stop(user.id, id);
      await notify(channels.runEvents(runId), JSON.stringify(queued));
      const activity: ThreadActivityFrame = {
        v: PROTOCOL_VERSION,
        type: 'thread_activity',
        workspaceId,
        threadId: tid,
        title: started.title,
        runId,
        status: 'queued',
        message: { id: messageId, text },
      };
      await notify(channels.userActivity(user.id), JSON.stringify(activity));
      // Other members watching a shared thread follow its new runs too (the gateway checks each may read it).
      if (started.shared) await notify(channels.sharedThreadActivity, JSON.stringify({ authorId: user.id, activity }));
      await notify(channels.runsQueued, runId);
      return { runId, threadId: tid, messageId, created: true };
    },

    async stop(ownerId, runId) {
      const run = await getOwned(ownerId, runId);
      if (run.status === 'queued') {
        // Not claimed yet: cancel it here, unless a worker claims it first (then it sees the flag).
        const cancelled = await db.transaction().execute(async (tx) => {
          const row = await tx
            .updateTable('runs')
            .set({ status: 'cancelled', cancel_requested: true, finished_at: now() })
            .where('id', '=', runId)
            .where('status', '=', 'queued')
            .returning(['last_seq', 'thread_id'])
            .executeTakeFirst();
          if (!row) return null;
          const event = createRunEventSequence({ id: runId, threadId: row.thread_id, lastSeq: row.last_seq }, now).next({ type: 'run_cancelled', data: { reason: 'Stopped by the user before it started.' } });
          const logged = loggedEvent(event);
          await log.append([logged], tx);
          return logged;
        });
        if (cancelled) {
          await notify(channels.runEvents(runId), cancelled.json);
          return { status: 'cancelled' };
        }
      }
      if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled') return { status: run.status };
      // The worker hears the stop at once; the flag, for a worker that misses the message, is
      // written alongside rather than first (on the embedded store it may queue behind the run's
      // own queries).
      await Promise.all([db.updateTable('runs').set({ cancel_requested: true }).where('id', '=', runId).execute(), notify(channels.runCancel(runId), 'stop')]);
      return { status: 'running' };
    },

    readable,

    async authored(caller, runId) {
      const row = await readable(caller, runId);
      if (row.owner_id !== caller.userId) throw new AppError('THREAD_READ_ONLY');
      return row;
    },

    async get(caller, runId) {
      const row = await readable(caller, runId);
      return {
        id: row.id,
        threadId: row.thread_id,
        workspaceId: row.workspace_id,
        status: row.status,
        lastSeq: row.last_seq,
        createdAt: new Date(row.created_at).toISOString(),
        finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
      };
    },

    async activeInThread(threadId) {
      return db
        .selectFrom('runs')
        .select(['id', 'status'])
        .where('thread_id', '=', threadId)
        .where('status', 'in', ACTIVE)
        .orderBy('created_at')
        .execute();
    },

    async events(caller, runId, afterSeq, limit) {
      const run = await readable(caller, runId);
      return log.list(run, afterSeq, limit);
    },
  };
  return service;
}
