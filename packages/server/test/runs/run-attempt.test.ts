import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/bus/bus.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createRunFinisher } from '../../src/runs/finish-run.js';
import { createRunAttempt } from '../../src/runs/run-attempt.js';
import type { Pipeline } from '../../src/runs/run-context.js';
import { createSqlRunEventLog, type RunEventLog } from '../../src/runs/run-event-log.js';
import { claimNextRun } from '../../src/runs/run-queue.js';
import { createFlushClock } from '../../src/runs/flush-clock.js';
import { createCheckpointWriter } from '../../src/runs/run-checkpoints.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

/**
 * One attempt at a claimed run: the pipeline runs in the run's context with its owner, and the
 * run ends completed, cancelled (a stop over the bus, or the flag the claim read) or failed.
 */
describe('an attempt at a claimed run', () => {
  let store: { db: Db; close(): Promise<void> };
  let log: RunEventLog;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    store = await openRunStore();
    log = createSqlRunEventLog(store.db);
  });
  afterAll(async () => store?.close());

  async function attemptWith(pipeline: Pipeline, options: { cancelRequested?: boolean } = {}) {
    const inserted = await insertRun(store.db, 'queued', 'Where is my AI money going?');
    if (options.cancelRequested) await store.db.updateTable('runs').set({ cancel_requested: true }).where('id', '=', inserted.id).execute();
    const run = await claimNextRun(store.db, 'node-a', 60_000);
    expect(run?.id).toBe(inserted.id);
    const bus = createMemoryBus();
    const now = () => new Date();
    const finish = createRunFinisher({ db: store.db, log, bus, nodeId: 'node-a', logger, now, retryMs: 10, isStopping: () => false });
    const attempt = createRunAttempt({ db: store.db, log, bus, leases: { whenHeld: () => undefined }, pipeline, logger, now, eventFlushMs: 60_000, flushClock: createFlushClock(60_000), saveCheckpoint: createCheckpointWriter(store.db), retryMs: 10, finish });
    const done = attempt(run!, new AbortController());
    const ended = async () => {
      const announced = await done;
      const events = await log.list(run!, 0);
      const status = (await store.db.selectFrom('runs').select('status').where('id', '=', run!.id).executeTakeFirstOrThrow()).status;
      return { announced, status, events: events.map((e) => e.type), last: events.at(-1) };
    };
    return { run: run!, bus, ended, userId: inserted.userId };
  }

  it('runs the pipeline as the run owner and ends it completed with the answer', async () => {
    let seen: unknown;
    const a = await attemptWith({
      run: async (ctx) => {
        seen = { user: ctx.user, text: ctx.text };
        await ctx.emit({ type: 'message_delta', data: { agent: 'supervisor', text: 'Spend less.' } });
        return { answer: 'Spend less.', report: null };
      },
    });
    const end = await a.ended();
    expect(seen).toEqual({ user: { id: a.userId, email: `${a.userId}@example.com` }, text: 'Where is my AI money going?' });
    expect(end).toMatchObject({ announced: true, status: 'completed', events: ['message_delta', 'run_completed'] });
    expect(end.last?.data).toMatchObject({ answer: 'Spend less.' });
  });

  it('ends a run cancelled when a stop comes over the bus', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const a = await attemptWith({
      run: () => {
        started();
        return new Promise(() => undefined);
      },
    });
    await running;
    await a.bus.publish(channels.runCancel(a.run.id), 'stop');
    expect(await a.ended()).toMatchObject({ status: 'cancelled', events: ['run_cancelled'] });
  });

  it('does not start the pipeline of a run whose stop was asked for before the claim', async () => {
    let ran = false;
    const pipeline: Pipeline = {
      run: async () => {
        ran = true;
        return { answer: 'x', report: null };
      },
    };
    const a = await attemptWith(pipeline, { cancelRequested: true });
    expect(await a.ended()).toMatchObject({ status: 'cancelled', events: ['run_cancelled'] });
    expect(ran).toBe(false);
  });

  it('ends a run whose pipeline throws as failed, without its details', async () => {
    const a = await attemptWith({ run: async () => Promise.reject(new Error('secret detail')) });
    const end = await a.ended();
    expect(end).toMatchObject({ status: 'failed', events: ['run_failed'] });
    expect(end.last?.data).toEqual({ code: 'INTERNAL', message: 'The run failed because of an internal error.' });
  });
});
