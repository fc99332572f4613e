import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { PROTOCOL_VERSION, type RunEvent, type RunEventDraft, type ThreadActivityFrame } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { isConnectionError, isUniqueViolation } from '../store/postgres-errors.js';
import type { RunRow } from '../store/schema.js';
import { createSqlRunEventLog, type RunEventLog } from './run-event-log.js';
import { createRunEmitter, type RunEmitter } from './run-emitter.js';
import type { Pipeline, PipelineResult, RunContext } from './run-context.js';
import { loadRunCheckpoint, saveRunCheckpoint } from './run-checkpoints.js';
import { untilAborted } from './until-aborted.js';
import { createResumeFilter } from './resume-filter.js';
import { inSpan } from '../telemetry/spans.js';
import { contextOf } from '../telemetry/traceparent.js';
import { createRunLeases, leaseClock } from './run-leases.js';
import type { RunMetrics } from '../metrics/run-metrics.js';

export interface RunWorker {
  start(): Promise<void>;
  /**
   * Stops claiming and hands the runs in flight back to the queue, where another node (or this
   * one, restarted) takes them over from their last completed step.
   */
  stop(): Promise<void>;
  readonly active: number;
}

export interface RunWorkerOptions {
  db: Db;
  /** Where the lease heartbeat runs: a connection of its own on PostgreSQL (see openDatabase); `db` when absent. */
  leaseDb?: Db;
  /** Counts runs, takeovers and expired leases for the metrics endpoint, when given. */
  metrics?: RunMetrics;
  bus: Bus;
  /** Where run events are written and read; the SQL log over `db` when absent. */
  eventLog?: RunEventLog;
  pipeline: Pipeline;
  logger: Logger;
  concurrency: number;
  nodeId: string;
  /** How long a claim holds without a heartbeat; a dead node's runs are taken over after it. */
  leaseMs?: number;
  /** How long a run's delivered events may wait for their log write (TALLY_EVENT_FLUSH_MS). */
  eventFlushMs?: number;
  now?: () => Date;
}

/** Why a run was aborted: the reason travels as the AbortSignal's reason. */
export class RunStopped extends Error {
  constructor(readonly by: 'user' | 'shutdown' | 'lease-lost') {
    super(by === 'user' ? 'Stopped by the user.' : by === 'shutdown' ? 'The node shut down.' : 'Another node owns the run now.');
    this.name = 'RunStopped';
  }
}

/** A claimed run with what it needs to start, read by the claim itself. */
type ClaimedRun = RunRow & { email: string | null; content: string | null };

const DEFAULT_LEASE_MS = 6_000;
const DEFAULT_EVENT_FLUSH_MS = 250;
const POLL_MS = 1_000;
/** How long a write that failed for want of a connection waits before it is tried again. */
const RETRY_MS = 500;
/** How long the end of a run is offered to a bus that is away before the log alone holds it. */
const END_PUBLISH_GIVE_UP_MS = 60_000;

/**
 * Claims queued runs (FOR UPDATE SKIP LOCKED, so nodes never take the same one, and never two
 * runs of one thread at once), runs the agent pipeline in a RunContext of its own, holds the
 * lease with a heartbeat, takes over runs whose lease expired, and ends each run with exactly one
 * terminal event, written with the assistant message and the final status in one transaction
 * that only commits while this node still holds the lease.
 */
export function createRunWorker(options: RunWorkerOptions): RunWorker {
  const { db, bus, pipeline, logger, nodeId } = options;
  const now = options.now ?? (() => new Date());
  const log = options.eventLog ?? createSqlRunEventLog(db);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const leaseInterval = sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`;
  const leases = createRunLeases({ db: options.leaseDb ?? db, nodeId, leaseMs, logger });
  const metrics = options.metrics;
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let claiming = false;
  let rerun = false;
  // A wake-up found the worker full: queued runs may be waiting for the next free slot.
  let turnedAway = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let unsubscribeQueued: (() => Promise<void>) | undefined;

  /**
   * Claims the next run and reads what it needs to start (its message, its owner's email) in the
   * same statement: every statement costs the node a write system call and a parse.
   */
  async function claim(): Promise<ClaimedRun | undefined> {
    return db
      .with('claimed', (q) =>
        q
          .updateTable('runs')
          .set({ status: 'running', lease_owner: nodeId, lease_expires_at: leaseInterval, started_at: sql`coalesce(started_at, now())` })
          .where(
            'id',
            '=',
            db
              .selectFrom('runs as r')
              .select('r.id')
              .where('r.status', '=', 'queued')
              // One run per thread at a time, in the order they were queued.
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('runs as o')
                      .select('o.id')
                      .whereRef('o.thread_id', '=', 'r.thread_id')
                      .where((o) =>
                        o.or([o('o.status', '=', 'running'), o.and([o('o.status', '=', 'queued'), o('o.created_at', '<', o.ref('r.created_at'))])]),
                      ),
                  ),
                ),
              )
              .orderBy('r.created_at')
              .limit(1)
              .forUpdate()
              .skipLocked(),
          )
          .where('status', '=', 'queued')
          .returningAll(),
      )
      .selectFrom('claimed')
      // Left joins: a run is never claimed without being returned (and then started or failed).
      .leftJoin('messages', 'messages.id', 'claimed.message_id')
      .leftJoin('users', 'users.id', 'claimed.owner_id')
      .selectAll('claimed')
      .select(['users.email', 'messages.content'])
      .executeTakeFirst();
  }

  /** Puts runs whose node stopped heart-beating back in the queue. */
  async function reclaimExpired(): Promise<number> {
    const rows = await db
      .updateTable('runs')
      .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
      .where('status', '=', 'running')
      .where('lease_expires_at', '<', sql<Date>`now()`)
      .returning('id')
      .execute();
    for (const row of rows) logger.warn({ runId: row.id }, 'lease expired; the run goes back to the queue');
    if (rows.length > 0) metrics?.leasesExpired(rows.length);
    return rows.length;
  }

  /** Claims while there is capacity and work; concurrent wake-ups coalesce into one loop. */
  async function pump(): Promise<void> {
    if (claiming) {
      rerun = true;
      return;
    }
    claiming = true;
    try {
      do {
        rerun = false;
        while (!stopping) {
          if (inFlight.size >= options.concurrency) {
            turnedAway = true;
            break;
          }
          const claimedAt = leaseClock();
          const run = await claim();
          if (!run) break;
          execute(run, claimedAt);
        }
      } while (rerun && !stopping);
    } catch (error) {
      logger.error({ err: error }, 'claiming runs failed');
    } finally {
      claiming = false;
    }
  }

  function execute(run: ClaimedRun, claimedAt: number): void {
    const controller = new AbortController();
    const abort = (by: RunStopped['by']) => stopRun(controller, by);
    leases.hold(run.id, claimedAt, { lost: () => abort('lease-lost'), cancelled: () => abort('user') });
    metrics?.runStarted();
    const done = runOne(run, controller)
      .catch((error): Announced => {
        logger.error({ err: error, runId: run.id }, 'run bookkeeping failed');
        return false;
      })
      .then((announced) => {
        // A claim that finds nothing is the worker's dearest statement (a locking update over the
        // queue), and most wake-ups find nothing: a run that announced its end on the bus has
        // already woken this node's pump, which claims while there is room. Only a wake-up that
        // found no room (work may be waiting since) or an unannounced end needs one more.
        inFlight.delete(run.id);
        leases.release(run.id);
        if (!stopping && (turnedAway || !announced)) {
          turnedAway = false;
          void pump();
        }
      });
    inFlight.set(run.id, { controller, done });
  }

  /** Whether the run's end was published on `runsQueued` (which wakes every node's pump, this one's too). */
  type Announced = boolean;

  async function runOne(run: ClaimedRun, controller: AbortController): Promise<Announced> {
    const abort = (by: RunStopped['by']) => stopRun(controller, by);
    const emitter = createRunEmitter({
      db,
      eventLog: log,
      bus,
      run: { id: run.id, threadId: run.thread_id, lastSeq: run.last_seq },
      flushMs: options.eventFlushMs ?? DEFAULT_EVENT_FLUSH_MS,
      saveCheckpoint: (checkpoint) =>
        saveRunCheckpoint(db, run.id, checkpoint).catch((error: unknown) =>
          logger.warn({ err: error, runId: run.id }, 'saving a checkpoint failed; a takeover would run the step again'),
        ),
      onPublishError: (error) => logger.warn({ err: error, runId: run.id }, 'publishing a run event failed; subscribers will fill the gap from the log'),
      // Another node wrote this seq: it owns the run now, and this node stops without a word.
      // Any other write failure fails the run at its next emit.
      onWriteError: (error) => {
        if (isUniqueViolation(error)) abort('lease-lost');
        else logger.error({ err: error, runId: run.id }, 'writing run events failed');
      },
      // The database is away (restart, failover, blip): the events stay buffered and are written
      // when it is back, while the lease holds; the heartbeat stops the run if it is lost meanwhile.
      retryWrite: (error) => isConnectionError(error),
      retryMs: RETRY_MS,
      now,
    });
    const [unsubscribeCancel, unsubscribeFlush] = await Promise.all([
      bus.subscribe(channels.runCancel(run.id), () => abort('user')),
      // A subscriber on any node that is behind the log asks for the buffer to be written now.
      bus.subscribe(channels.runFlush(run.id), () => void emitter.flush().catch(() => undefined)),
    ]);
    try {
      // A run that logged nothing after run_queued has no checkpoint either (one is written only
      // behind a flush of its step's events), so a fresh run reads nothing more than its claim did.
      const takeover = run.last_seq > 1;
      if (run.content === null || run.email === null) throw new Error(`run ${run.id} has no message or owner`);
      const user = { id: run.owner_id, email: run.email };
      const content = run.content;
      const [checkpoint, tape] = await Promise.all([
        takeover ? loadRunCheckpoint(db, run.id) : Promise.resolve(null),
        // Everything after run_queued that an earlier attempt logged: clients have it already.
        takeover ? log.list(run, 1) : Promise.resolve([] as RunEvent[]),
      ]);
      if (run.cancel_requested) abort('user');
      const steps: Record<string, unknown> = { ...checkpoint?.steps };
      const resume = createResumeFilter(tape, (draft, expected) =>
        logger.warn({ runId: run.id, emitted: draft, expected }, 'the re-run step differs from what clients already have; sending it as new'),
      );
      if (tape.length > 0) {
        logger.info({ runId: run.id, lastSeq: run.last_seq, steps: Object.keys(steps) }, 'taking over a run');
        metrics?.takenOver();
      }
      let firstEmit = true;
      const ctx: RunContext = {
        user,
        threadId: run.thread_id,
        runId: run.id,
        text: content,
        signal: controller.signal,
        emit: async (draft) => {
          // Nothing is published unless this node surely still holds the lease: after a database
          // outage longer than it, another node may be taking the run over.
          await leases.whenHeld(run.id, controller.signal);
          controller.signal.throwIfAborted();
          const admitted = resume.admit(draft);
          if (!admitted) return;
          await emitter.emit(admitted);
          if (firstEmit && !takeover) metrics?.firstEvent((Date.now() - run.created_at.getTime()) / 1000);
          firstEmit = false;
        },
        restoreStep(agent) {
          if (!(agent in steps)) return undefined;
          resume.skipStep(agent);
          return steps[agent];
        },
        async saveStep(agent, value) {
          steps[agent] = value;
          // Written right after the next flush of the run's events (never before them: a takeover
          // trusts what it says is logged), never a write of its own: a fast run ends before its
          // first flush and writes none. A node that dies first leaves the previous checkpoint, and
          // the step is run again, as for a death mid-step.
          emitter.checkpoint({ steps: { ...steps }, seq: emitter.lastSeq });
        },
      };
      let outcome: Outcome;
      try {
        controller.signal.throwIfAborted();
        // The run's span continues the trace of the request that queued it, on whichever node queued it.
        const result = await inSpan('run', { 'tally.run.id': run.id, 'tally.run.takeover': tape.length > 0 }, () => untilAborted(pipeline.run(ctx), controller.signal), contextOf(run.traceparent));
        // After a takeover the answer is what clients were sent, which the log holds whole.
        outcome = { kind: 'completed', result: tape.length > 0 ? { ...result, answer: resume.deliveredText || result.answer } : result };
      } catch (error) {
        outcome = controller.signal.aborted ? { kind: 'stopped', reason: controller.signal.reason } : { kind: 'failed', error };
      }
      return await finish(run, emitter, outcome);
    } finally {
      await Promise.all([unsubscribeCancel(), unsubscribeFlush()]);
    }
  }

  type Outcome =
    | { kind: 'completed'; result: PipelineResult }
    | { kind: 'stopped'; reason: unknown }
    | { kind: 'failed'; error: unknown };

  async function finish(run: RunRow, emitter: RunEmitter, outcome: Outcome): Promise<Announced> {
    const by = outcome.kind === 'stopped' && outcome.reason instanceof RunStopped ? outcome.reason.by : 'user';
    if (outcome.kind === 'stopped' && by !== 'user') {
      // A graceful hand-back leaves no delivered event out of the log, and the latest checkpoint.
      if (by === 'shutdown') await emitter.flush().catch(() => undefined);
      await emitter.takeBuffered();
      if (by === 'shutdown') await handBack(run.id);
      return false;
    }
    // What is still buffered is written with the terminal event, in the end transaction: a run that
    // ends within the flush interval costs its claim and this transaction, nothing in between.
    const buffered = await emitter.takeBuffered();
    const messageId = crypto.randomUUID();
    const { draft, status } = terminalOf(outcome, messageId);
    if (outcome.kind === 'failed') logger.error({ err: outcome.error, runId: run.id }, 'run failed');
    const event: RunEvent = emitter.next(draft);
    const finishedAt = now();
    const answer = outcome.kind === 'completed' ? outcome.result.answer : null;
    const endTransaction = () => db.transaction().execute(async (tx) => {
      // The status (only while this node holds the lease), the assistant message and the thread's
      // time in one statement, then the terminal event: a transaction of two round trips.
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
      await log.append([...buffered, event], tx);
      return { title: ended.title };
    });
    const committed = await retryOnConnectionLoss(endTransaction, async () => endedAlready(run, event), run.id);
    if (!committed) {
      logger.warn({ runId: run.id }, 'lost the lease before finishing; the new owner ends the run');
      return false;
    }
    metrics?.runFinished(status, (finishedAt.getTime() - (run.started_at ?? run.created_at).getTime()) / 1000);
    publishEnd(run.id, event);
    const activity: ThreadActivityFrame = { v: PROTOCOL_VERSION, type: 'thread_activity', threadId: run.thread_id, title: committed.title, runId: run.id, status };
    await bus.publish(channels.userActivity(run.owner_id), JSON.stringify(activity)).catch(() => undefined);
    // The thread's next queued run (double-texting `queue`) may start now.
    return bus.publish(channels.runsQueued, run.id).then(
      () => true,
      () => false,
    );
  }

  /**
   * Runs the end transaction again while the database is away (it keeps the lease's condition, so
   * a run taken over meanwhile is left to its new owner). A retry that finds the run ended asks
   * `endedAlready`: the commit of an earlier attempt may have landed with its answer lost.
   */
  async function retryOnConnectionLoss<T>(attempt: () => Promise<T | null>, endedAlready: () => Promise<T | null>, runId: string): Promise<T | null> {
    for (let tries = 1; ; tries++) {
      try {
        const result = await attempt();
        return result ?? (tries > 1 ? await endedAlready() : null);
      } catch (error) {
        if (!isConnectionError(error) || stopping) throw error;
        if (tries === 1) logger.warn({ err: error, runId }, 'ending the run failed for want of the database; trying again');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /** Whether the run's log ends with this very event (same seq, type and time): this node's end committed. */
  async function endedAlready(run: RunRow, event: RunEvent): Promise<{ title: string } | null> {
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

  /**
   * Publishes the run's terminal event, again until the bus takes it: a subscriber whose link came
   * back before this node's did has already caught up from the log, and would otherwise wait for
   * an end it never hears of (earlier events are not needed: the end shows any gap, which the log
   * fills). A copy a subscriber already has is dropped by its seq.
   */
  function publishEnd(runId: string, event: RunEvent): void {
    const raw = JSON.stringify(event);
    const started = Date.now();
    const attempt = (): void =>
      void bus.publish(channels.runEvents(runId), raw).catch((error: unknown) => {
        if (Date.now() - started > END_PUBLISH_GIVE_UP_MS) logger.warn({ err: error, runId }, 'publishing the end of a run failed; subscribers read it from the log when they reconnect');
        else setTimeout(attempt, RETRY_MS).unref();
      });
    attempt();
  }

  async function handBack(runId: string): Promise<void> {
    const row = await db
      .updateTable('runs')
      .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
      .where('id', '=', runId)
      .where('lease_owner', '=', nodeId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (row) logger.info({ runId }, 'handed the run back to the queue');
  }

  return {
    get active() {
      return inFlight.size;
    },
    async start() {
      unsubscribeQueued = await bus.subscribe(channels.runsQueued, () => void pump());
      // The poll catches runs queued while this node's bus link was down, and expired leases.
      pollTimer = setInterval(() => {
        void reclaimExpired()
          .catch((error) => logger.warn({ err: error }, 'reclaiming expired leases failed'))
          .finally(() => void pump());
      }, POLL_MS);
      pollTimer.unref();
      void pump();
    },
    async stop() {
      stopping = true;
      if (pollTimer) clearInterval(pollTimer);
      await unsubscribeQueued?.().catch(() => undefined);
      for (const { controller } of inFlight.values()) controller.abort(new RunStopped('shutdown'));
      await Promise.allSettled([...inFlight.values()].map((r) => r.done));
      while (claiming) await new Promise((r) => setTimeout(r, 10));
      leases.stop();
      // Other nodes pick the handed-back runs up at once rather than at their next poll.
      await bus.publish(channels.runsQueued, nodeId).catch(() => undefined);
    },
  };
}

function stopRun(controller: AbortController, by: RunStopped['by']): void {
  if (!controller.signal.aborted) controller.abort(new RunStopped(by));
}

function terminalOf(
  outcome: { kind: 'completed'; result: PipelineResult } | { kind: 'stopped'; reason: unknown } | { kind: 'failed'; error: unknown },
  messageId: string,
): { draft: RunEventDraft; status: 'completed' | 'failed' | 'cancelled' } {
  switch (outcome.kind) {
    case 'completed':
      return { status: 'completed', draft: { type: 'run_completed', data: { messageId, answer: outcome.result.answer, report: outcome.result.report } } };
    case 'stopped':
      return { status: 'cancelled', draft: { type: 'run_cancelled', data: { reason: 'Stopped by the user.' } } };
    case 'failed': {
      const error = outcome.error;
      return {
        status: 'failed',
        draft: {
          type: 'run_failed',
          data: isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'The run failed because of an internal error.' },
        },
      };
    }
    default: {
      const never: never = outcome;
      throw new Error(`unexpected outcome ${String(never)}`);
    }
  }
}
