import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { RunEvent, RunEventDraft } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import type { RunRow } from '../store/schema.js';
import { appendRunEvents } from './run-event-log.js';
import { createRunEmitter, type RunEmitter } from './run-emitter.js';
import type { Pipeline, PipelineResult, RunContext } from './run-context.js';

export interface RunWorker {
  start(): Promise<void>;
  /** Stops claiming, aborts the runs in flight and waits for them to end. */
  stop(): Promise<void>;
  readonly active: number;
}

const LEASE_MS = 30_000;
const HEARTBEAT_MS = 10_000;
const POLL_MS = 1_000;

/** Why a run was aborted: the reason travels as the AbortSignal's reason. */
export class RunStopped extends Error {
  constructor(readonly by: 'user' | 'shutdown') {
    super(by === 'user' ? 'Stopped by the user.' : 'The server shut down.');
    this.name = 'RunStopped';
  }
}

/**
 * Claims queued runs (FOR UPDATE SKIP LOCKED, so nodes never take the same one), runs the agent
 * pipeline in a RunContext of its own, holds the lease with a heartbeat, and ends the run with
 * exactly one terminal event written together with the assistant message and the final status.
 */
export function createRunWorker(deps: {
  db: Db;
  bus: Bus;
  pipeline: Pipeline;
  logger: Logger;
  concurrency: number;
  nodeId?: string;
  now?: () => Date;
}): RunWorker {
  const { db, bus, pipeline, logger } = deps;
  const nodeId = deps.nodeId ?? `node-${crypto.randomUUID()}`;
  const now = deps.now ?? (() => new Date());
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let claiming = false;
  let rerun = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let unsubscribeQueued: (() => Promise<void>) | undefined;

  async function claim(): Promise<RunRow | undefined> {
    return db
      .updateTable('runs')
      .set({ status: 'running', lease_owner: nodeId, lease_expires_at: new Date(now().getTime() + LEASE_MS), started_at: now() })
      .where(
        'id',
        '=',
        db
          .selectFrom('runs')
          .select('id')
          .where('status', '=', 'queued')
          .orderBy('created_at')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
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
        while (!stopping && inFlight.size < deps.concurrency) {
          const run = await claim();
          if (!run) break;
          execute(run);
        }
      } while (rerun && !stopping);
    } catch (error) {
      logger.error({ err: error }, 'claiming runs failed');
    } finally {
      claiming = false;
    }
  }

  function execute(run: RunRow): void {
    const controller = new AbortController();
    const done = runOne(run, controller)
      .catch((error) => logger.error({ err: error, runId: run.id }, 'run bookkeeping failed'))
      .finally(() => {
        inFlight.delete(run.id);
        if (!stopping) void pump();
      });
    inFlight.set(run.id, { controller, done });
  }

  async function runOne(run: RunRow, controller: AbortController): Promise<void> {
    const emitter = createRunEmitter({ db, bus, run: { id: run.id, threadId: run.thread_id, lastSeq: run.last_seq }, now });
    const unsubscribeCancel = await bus.subscribe(channels.runCancel(run.id), () => controller.abort(new RunStopped('user')));
    const heartbeat = setInterval(() => {
      void db
        .updateTable('runs')
        .set({ lease_expires_at: new Date(now().getTime() + LEASE_MS) })
        .where('id', '=', run.id)
        .where('lease_owner', '=', nodeId)
        .execute()
        .catch((error) => logger.warn({ err: error, runId: run.id }, 'lease heartbeat failed'));
    }, HEARTBEAT_MS);
    try {
      // A stop that arrived between queueing and the claim is honoured before any work starts.
      const fresh = await db.selectFrom('runs').select('cancel_requested').where('id', '=', run.id).executeTakeFirst();
      if (fresh?.cancel_requested) controller.abort(new RunStopped('user'));
      const [user, message] = await Promise.all([
        db.selectFrom('users').select(['id', 'email']).where('id', '=', run.owner_id).executeTakeFirstOrThrow(),
        db.selectFrom('messages').select('content').where('id', '=', run.message_id).executeTakeFirstOrThrow(),
      ]);
      const ctx: RunContext = {
        user,
        threadId: run.thread_id,
        runId: run.id,
        text: message.content,
        signal: controller.signal,
        emit: async (draft) => {
          controller.signal.throwIfAborted();
          await emitter.emit(draft);
        },
      };
      let outcome: Outcome;
      try {
        controller.signal.throwIfAborted();
        outcome = { kind: 'completed', result: await pipeline.run(ctx) };
      } catch (error) {
        outcome = controller.signal.aborted ? { kind: 'stopped', reason: controller.signal.reason } : { kind: 'failed', error };
      }
      await finish(run, emitter, outcome);
    } finally {
      clearInterval(heartbeat);
      await unsubscribeCancel();
    }
  }

  type Outcome =
    | { kind: 'completed'; result: PipelineResult }
    | { kind: 'stopped'; reason: unknown }
    | { kind: 'failed'; error: unknown };

  async function finish(run: RunRow, emitter: RunEmitter, outcome: Outcome): Promise<void> {
    const messageId = crypto.randomUUID();
    let draft: RunEventDraft;
    let status: 'completed' | 'failed' | 'cancelled';
    switch (outcome.kind) {
      case 'completed':
        status = 'completed';
        draft = { type: 'run_completed', data: { messageId, answer: outcome.result.answer, report: outcome.result.report } };
        break;
      case 'stopped': {
        const by = outcome.reason instanceof RunStopped ? outcome.reason.by : 'user';
        status = by === 'shutdown' ? 'failed' : 'cancelled';
        draft =
          by === 'shutdown'
            ? { type: 'run_failed', data: { code: 'SERVICE_UNAVAILABLE', message: 'The server shut down during the run; ask again.' } }
            : { type: 'run_cancelled', data: { reason: 'Stopped by the user.' } };
        break;
      }
      case 'failed': {
        const error = outcome.error;
        logger.error({ err: error, runId: run.id }, 'run failed');
        status = 'failed';
        draft = {
          type: 'run_failed',
          data: isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'The run failed because of an internal error.' },
        };
        break;
      }
      default: {
        const never: never = outcome;
        throw new Error(`unexpected outcome ${String(never)}`);
      }
    }
    // Appends already under way land first, so the terminal event has the last seq.
    await emitter.idle();
    const event: RunEvent = emitter.next(draft);
    await db.transaction().execute(async (tx) => {
      await appendRunEvents(tx, [event]);
      if (outcome.kind === 'completed') {
        await tx
          .insertInto('messages')
          .values({ id: messageId, owner_id: run.owner_id, thread_id: run.thread_id, role: 'assistant', content: outcome.result.answer, run_id: run.id, created_at: now() })
          .execute();
      }
      await tx
        .updateTable('runs')
        .set({ status, finished_at: now(), lease_owner: null, lease_expires_at: null })
        .where('id', '=', run.id)
        .execute();
      await tx.updateTable('threads').set({ updated_at: now() }).where('id', '=', run.thread_id).execute();
    });
    await emitter.publish(event);
  }

  return {
    get active() {
      return inFlight.size;
    },
    async start() {
      unsubscribeQueued = await bus.subscribe(channels.runsQueued, () => void pump());
      // The poll catches runs queued while this node's bus link was down.
      pollTimer = setInterval(() => void pump(), POLL_MS);
      pollTimer.unref();
      void pump();
    },
    async stop() {
      stopping = true;
      if (pollTimer) clearInterval(pollTimer);
      await unsubscribeQueued?.();
      for (const { controller } of inFlight.values()) controller.abort(new RunStopped('shutdown'));
      await Promise.allSettled([...inFlight.values()].map((r) => r.done));
      while (claiming) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
