import type { Logger } from 'pino';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { createRunFinisher, type Announced } from './finish-run.js';
import { createRunAttempt } from './run-attempt.js';
import type { Pipeline } from './run-context.js';
import { createSqlRunEventLog, type RunEventLog } from './run-event-log.js';
import { createRunLeases, leaseClock } from './run-leases.js';
import type { RunMetrics } from './run-metrics.js';
import { RunStopped, stopRun } from './run-outcome.js';
import { createRunPump } from './run-pump.js';
import { createFlushClock } from './flush-clock.js';
import { createCheckpointWriter } from './run-checkpoints.js';
import { createRunClaimer, requeueExpiredRuns, type ClaimedRun } from './run-queue.js';

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
  leaseDb?: Db | undefined;
  /** Counts runs, takeovers and expired leases for the metrics endpoint, when given. */
  metrics?: RunMetrics | undefined;
  bus: Bus;
  /** Where run events are written and read; the SQL log over `db` when absent. */
  eventLog?: RunEventLog | undefined;
  pipeline: Pipeline;
  logger: Logger;
  concurrency: number;
  nodeId: string;
  /** How long a claim holds without a heartbeat; a dead node's runs are taken over after it. */
  leaseMs?: number | undefined;
  /** How long a run's delivered events may wait for their log write (TALLY_EVENT_FLUSH_MS). */
  eventFlushMs?: number | undefined;
  /** Told each time a run starts or ends here, after `active` changed (a run thread reports it to the main thread). */
  onActiveChange?: (() => void) | undefined;
  now?: () => Date;
}

const DEFAULT_LEASE_MS = 6_000;
const DEFAULT_EVENT_FLUSH_MS = 250;
const POLL_MS = 1_000;
/** How long a write that failed for want of a connection waits before it is tried again. */
const RETRY_MS = 500;

/**
 * Claims queued runs (run-queue.ts) while it has room (run-pump.ts), runs each in an attempt of
 * its own (run-attempt.ts) while holding its lease with a heartbeat (run-leases.ts), takes over
 * runs whose lease expired, and ends each run with exactly one terminal event (finish-run.ts).
 */
export function createRunWorker(options: RunWorkerOptions): RunWorker {
  const { db, bus, logger, nodeId } = options;
  const now = options.now ?? (() => new Date());
  const log = options.eventLog ?? createSqlRunEventLog(db);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const leases = createRunLeases({ db: options.leaseDb ?? db, nodeId, leaseMs, logger });
  const metrics = options.metrics;
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let unsubscribeQueued: (() => Promise<void>) | undefined;

  const finish = createRunFinisher({ db, log, bus, nodeId, logger, metrics, now, retryMs: RETRY_MS, isStopping: () => stopping });
  const eventFlushMs = options.eventFlushMs ?? DEFAULT_EVENT_FLUSH_MS;
  // One clock for all this worker's runs: their batches fall due together and the log writes them in one statement.
  const flushClock = createFlushClock(eventFlushMs);
  const attempt = createRunAttempt({ db, log, bus, leases, pipeline: options.pipeline, logger, metrics, now, eventFlushMs, flushClock, saveCheckpoint: createCheckpointWriter(db), retryMs: RETRY_MS, finish });
  const pump = createRunPump<ClaimedRun>({
    // In the pool's queue, on purpose: claimed on the lease connection instead (tried, issue 19),
    // 4x more runs were live at once but their usage reads then waited past the pool's bound and
    // ~12 % of them failed: the claim's wait only paces runs to what the pool serves (DECISIONS).
    claim: createRunClaimer(db, nodeId, leaseMs),
    start: execute,
    room: () => options.concurrency - inFlight.size,
    isStopping: () => stopping,
    clock: leaseClock,
    logger,
  });

  /** Puts runs whose node stopped heart-beating back in the queue. */
  async function reclaimExpired(): Promise<void> {
    const ids = await requeueExpiredRuns(db);
    for (const runId of ids) logger.warn({ runId }, 'lease expired; the run goes back to the queue');
    if (ids.length > 0) metrics?.leasesExpired(ids.length);
  }

  function execute(run: ClaimedRun, claimedAt: number): void {
    const controller = new AbortController();
    // Claimed by a claim that was in flight when the worker began to stop: handed back at once.
    if (stopping) controller.abort(new RunStopped('shutdown'));
    leases.hold(run.id, claimedAt, { lost: () => stopRun(controller, 'lease-lost'), cancelled: () => stopRun(controller, 'user') });
    metrics?.runStarted();
    const done = attempt(run, controller)
      .catch((error): Announced => {
        logger.error({ err: error, runId: run.id }, 'run bookkeeping failed');
        return false;
      })
      .then((announced) => {
        inFlight.delete(run.id);
        options.onActiveChange?.();
        leases.release(run.id);
        pump.runEnded(announced);
      });
    inFlight.set(run.id, { controller, done });
    options.onActiveChange?.();
  }

  return {
    get active() {
      return inFlight.size;
    },
    async start() {
      unsubscribeQueued = await bus.subscribe(channels.runsQueued, () => void pump.pump());
      // The poll catches runs queued while this node's bus link was down, and expired leases.
      pollTimer = setInterval(() => {
        void reclaimExpired()
          .catch((error) => logger.warn({ err: error }, 'reclaiming expired leases failed'))
          .finally(() => void pump.pump());
      }, POLL_MS);
      pollTimer.unref();
      void pump.pump();
    },
    async stop() {
      stopping = true;
      if (pollTimer) clearInterval(pollTimer);
      await unsubscribeQueued?.().catch(() => undefined);
      for (const { controller } of inFlight.values()) controller.abort(new RunStopped('shutdown'));
      await Promise.allSettled([...inFlight.values()].map((r) => r.done));
      await pump.idle();
      // The runs of a claim that was in flight at the stop (started stopped, see execute).
      await Promise.allSettled([...inFlight.values()].map((r) => r.done));
      leases.stop();
      // Other nodes pick the handed-back runs up at once rather than at their next poll.
      await bus.publish(channels.runsQueued, nodeId).catch(() => undefined);
    },
  };
}
