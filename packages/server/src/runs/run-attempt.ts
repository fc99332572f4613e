import type { Logger } from 'pino';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { isConnectionError, isUniqueViolation } from '../store/postgres-errors.js';
import { inSpan } from '../telemetry/spans.js';
import { contextOf } from '../telemetry/traceparent.js';
import type { Announced, FinishRun } from './finish-run.js';
import { createRunAttemptContext } from './run-attempt-context.js';
import type { Pipeline } from './run-context.js';
import type { SaveCheckpoint } from './run-checkpoints.js';
import { createRunEmitter } from './run-emitter.js';
import type { FlushClock } from './flush-clock.js';
import type { RunEventLog } from './run-event-log.js';
import type { RunLeases } from './run-leases.js';
import type { RunMetrics } from './run-metrics.js';
import { stopRun, type RunOutcome, type RunStopped } from './run-outcome.js';
import type { ClaimedRun } from './run-queue.js';
import { loadRunResume } from './run-resume.js';
import { untilAborted } from './until-aborted.js';

export interface RunAttemptDeps {
  db: Db;
  log: RunEventLog;
  bus: Bus;
  leases: Pick<RunLeases, 'whenHeld'>;
  pipeline: Pipeline;
  logger: Logger;
  metrics?: RunMetrics | undefined;
  now: () => Date;
  /** How long a run's delivered events may wait for their log write (TALLY_EVENT_FLUSH_MS). */
  eventFlushMs: number;
  /** The worker's one clock of eventFlushMs: its runs' batches fall due together (one log statement). */
  flushClock: FlushClock;
  /** The worker's one checkpoint writer: the checkpoints due in one flush tick go in one statement. */
  saveCheckpoint: SaveCheckpoint;
  /** How long a write that failed for want of a connection waits before it is tried again. */
  retryMs: number;
  finish: FinishRun;
}

/**
 * One attempt at a claimed run on this node: its emitter, its stop and flush requests from the
 * bus, what an earlier attempt left (resume), the agent pipeline in a RunContext of its own, and
 * the run's end. Resolves with whether the end was announced on the bus.
 */
export function createRunAttempt(deps: RunAttemptDeps): (run: ClaimedRun, controller: AbortController) => Promise<Announced> {
  const { db, log, bus, logger, metrics } = deps;
  return async function attempt(run, controller) {
    const abort = (by: RunStopped['by']) => stopRun(controller, by);
    const emitter = createRunEmitter({
      db,
      eventLog: log,
      bus,
      run: { id: run.id, threadId: run.thread_id, lastSeq: run.last_seq },
      flushMs: deps.eventFlushMs,
      flushClock: deps.flushClock,
      saveCheckpoint: (checkpoint) =>
        deps.saveCheckpoint(run.id, checkpoint).catch((error: unknown) =>
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
      retryMs: deps.retryMs,
      now: deps.now,
    });
    const [unsubscribeCancel, unsubscribeFlush] = await Promise.all([
      bus.subscribe(channels.runCancel(run.id), () => abort('user')),
      // A subscriber on any node that is behind the log asks for the buffer to be written now.
      bus.subscribe(channels.runFlush(run.id), () => void emitter.flush().catch(() => undefined)),
    ]);
    try {
      if (run.content === null || run.email === null) throw new Error(`run ${run.id} has no message or owner`);
      // Fresh: nothing logged after run_queued, so no earlier attempt to resume.
      const fresh = run.last_seq <= 1;
      const resume = await loadRunResume({ db, log, logger }, run);
      if (run.cancel_requested) abort('user');
      if (resume.takenOver) {
        logger.info({ runId: run.id, lastSeq: run.last_seq, steps: Object.keys(resume.steps) }, 'taking over a run');
        metrics?.takenOver();
      }
      const ctx = createRunAttemptContext({
        run: { id: run.id, threadId: run.thread_id, workspaceId: run.workspace_id, user: { id: run.owner_id, email: run.email }, text: run.content, firstInThread: !run.has_history },
        signal: controller.signal,
        leases: deps.leases,
        emitter,
        resume,
        onFirstEmit: fresh ? () => metrics?.firstEvent((Date.now() - run.created_at.getTime()) / 1000) : undefined,
      });
      let outcome: RunOutcome;
      try {
        controller.signal.throwIfAborted();
        // The run's span continues the trace of the request that queued it, on whichever node queued it.
        const result = await inSpan(
          'run',
          { 'tally.run.id': run.id, 'tally.run.takeover': resume.takenOver },
          () => untilAborted(deps.pipeline.run(ctx), controller.signal),
          contextOf(run.traceparent),
        );
        // After a takeover the answer is what clients were sent, which the log holds whole.
        outcome = { kind: 'completed', result: resume.takenOver ? { ...result, answer: resume.filter.deliveredText || result.answer } : result };
      } catch (error) {
        outcome = controller.signal.aborted ? { kind: 'stopped', reason: controller.signal.reason } : { kind: 'failed', error };
      }
      return await deps.finish(run, emitter, outcome);
    } finally {
      await Promise.all([unsubscribeCancel(), unsubscribeFlush()]);
    }
  };
}
