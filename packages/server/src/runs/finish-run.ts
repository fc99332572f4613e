import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, type RunEvent, type ThreadActivityFrame } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { isConnectionError } from '../store/postgres-errors.js';
import type { RunRow } from '../store/schema.js';
import type { RunEmitter } from './run-emitter.js';
import { findCommittedEnd } from './run-end-transaction.js';
import type { RunEventLog } from './run-event-log.js';
import { loggedEvent, type LoggedEvent } from './run-event-rows.js';
import { stoppedBy, terminalOf, type RunOutcome } from './run-outcome.js';
import { handBackRun } from './run-queue.js';
import type { RunMetrics } from './run-metrics.js';

/** Whether the run's end was published on `runsQueued` (which wakes every node's pump, this one's too). */
export type Announced = boolean;

/** Ends a run this node ran (see createRunFinisher). */
export type FinishRun = (run: RunRow, emitter: RunEmitter, outcome: RunOutcome) => Promise<Announced>;

export interface RunFinisherDeps {
  db: Db;
  log: RunEventLog;
  bus: Bus;
  nodeId: string;
  logger: Logger;
  metrics?: RunMetrics | undefined;
  now: () => Date;
  /** How long a write that failed for want of a connection waits before it is tried again. */
  retryMs: number;
  /** A worker that is stopping tries a run's end only once. */
  isStopping: () => boolean;
}

/** How long the end of a run is offered to a bus that is away before the log alone holds it. */
const END_PUBLISH_GIVE_UP_MS = 60_000;

/**
 * Ends a run with exactly one terminal event, written with the assistant message and the final
 * status in one statement that commits only while this node holds the lease; or, for a run the
 * node gives up (shutdown, lost lease), writes what it delivered and leaves the end to the next owner.
 */
export function createRunFinisher(deps: RunFinisherDeps): FinishRun {
  const { db, log, bus, nodeId, logger, metrics, now, retryMs } = deps;

  /**
   * Runs the end statement again while the database is away (it keeps the lease's condition, so
   * a run taken over meanwhile is left to its new owner). A retry that finds the run ended asks
   * `endedAlready`: the commit of an earlier attempt may have landed with its answer lost.
   */
  async function retryOnConnectionLoss<T>(attempt: () => Promise<T | null>, endedAlready: () => Promise<T | null>, runId: string): Promise<T | null> {
    for (let tries = 1; ; tries++) {
      try {
        const result = await attempt();
        return result ?? (tries > 1 ? await endedAlready() : null);
      } catch (error) {
        if (!isConnectionError(error) || deps.isStopping()) throw error;
        if (tries === 1) logger.warn({ err: error, runId }, 'ending the run failed for want of the database; trying again');
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  }

  /**
   * Publishes the run's terminal event, again until the bus takes it: a subscriber whose link came
   * back before this node's did has already caught up from the log, and would otherwise wait for
   * an end it never hears of (earlier events are not needed: the end shows any gap, which the log
   * fills). A copy a subscriber already has is dropped by its seq.
   */
  function publishEnd(runId: string, event: LoggedEvent): void {
    const raw = event.json;
    const started = Date.now();
    const attempt = (): void =>
      void bus.publish(channels.runEvents(runId), raw).catch((error: unknown) => {
        if (Date.now() - started > END_PUBLISH_GIVE_UP_MS) logger.warn({ err: error, runId }, 'publishing the end of a run failed; subscribers read it from the log when they reconnect');
        else setTimeout(attempt, retryMs).unref();
      });
    attempt();
  }

  return async function finish(run, emitter, outcome) {
    const by = stoppedBy(outcome);
    if (by === 'shutdown' || by === 'lease-lost') {
      // A graceful hand-back leaves no delivered event out of the log, and the latest checkpoint.
      if (by === 'shutdown') await emitter.flush().catch(() => undefined);
      await emitter.takeBuffered();
      if (by === 'shutdown' && (await handBackRun(db, run.id, nodeId))) logger.info({ runId: run.id }, 'handed the run back to the queue');
      return false;
    }
    // What is still buffered is written with the terminal event, in the end's one statement: a run
    // that ends within the flush interval costs its claim and this statement, nothing in between.
    const buffered = await emitter.takeBuffered();
    const messageId = crypto.randomUUID();
    const { draft, status } = terminalOf(outcome, messageId);
    if (outcome.kind === 'failed') logger.error({ err: outcome.error, runId: run.id }, 'run failed');
    const event: RunEvent = emitter.next(draft);
    // Serialised once: written with the end and published as the same text (a report is ~20 KB).
    const logged = loggedEvent(event);
    const finishedAt = now();
    const answer = outcome.kind === 'completed' ? outcome.result.answer : null;
    const committed = await retryOnConnectionLoss(
      () => log.end({ run, nodeId, status, finishedAt, messageId, answer, events: [...buffered, logged] }),
      () => findCommittedEnd(db, run, event),
      run.id,
    );
    if (!committed) {
      logger.warn({ runId: run.id }, 'lost the lease before finishing; the new owner ends the run');
      return false;
    }
    metrics?.runFinished(status, (finishedAt.getTime() - (run.started_at ?? run.created_at).getTime()) / 1000);
    publishEnd(run.id, logged);
    const activity: ThreadActivityFrame = { v: PROTOCOL_VERSION, type: 'thread_activity', workspaceId: run.workspace_id, threadId: run.thread_id, title: committed.title, runId: run.id, status };
    await bus.publish(channels.userActivity(run.owner_id), JSON.stringify(activity)).catch(() => undefined);
    // The thread's next queued run (double-texting `queue`) may start now.
    return bus.publish(channels.runsQueued, run.id).then(
      () => true,
      () => false,
    );
  };
}
