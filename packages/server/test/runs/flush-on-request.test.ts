import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { channels } from '../../src/bus/bus.js';
import { openRunSubscription } from '../../src/gateway/run-subscription.js';
import { createRunEmitter } from '../../src/runs/run-emitter.js';
import { createSqlRunEventLog } from '../../src/runs/run-event-log.js';
import type { Db } from '../../src/store/database.js';
import { countingLog, insertRun, openRunStore } from './run-store-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A subscriber that joins after events were published but before they were written finds them
 * in the log within a round trip or two: it asks the run's emitter, over the bus, to flush.
 * The emitter here would otherwise not write for a minute.
 */
describe('a subscriber joining between publish and flush', () => {
  let store: Awaited<ReturnType<typeof openRunStore>>;
  let db: Db;
  beforeAll(async () => {
    store = await openRunStore();
    db = store.db;
  });
  afterAll(async () => {
    await store.close();
  });

  async function liveRun() {
    const run = await insertRun(db);
    const bus = createMemoryBus();
    const log = countingLog(createSqlRunEventLog(db));
    const emitter = createRunEmitter({ db, eventLog: log, bus, run, flushMs: 60_000, onPublishError: () => undefined, onWriteError: () => undefined });
    // As the worker does while the run is live.
    await bus.subscribe(channels.runFlush(run.id), () => void emitter.flush().catch(() => undefined));
    const delivered: number[] = [];
    const subscribe = () =>
      openRunSubscription({
        bus,
        runId: run.id,
        workspaceId: run.id,
        threadOf: () => run.threadId,
        afterSeq: 0,
        loadAfter: (after) => log.list({ id: run.id, thread_id: run.threadId }, after),
        deliver: (_raw, event) => delivered.push(event.seq),
        onEnd: () => undefined,
        onError: (error) => {
          throw error;
        },
      });
    const delta = (i: number) => emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: `t${i} ` } });
    return { emitter, log, delivered, subscribe, delta };
  }

  const seqs = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('gets what was published before it joined, while the run pauses, exactly once and in order', async () => {
    const { emitter, log, delivered, subscribe, delta } = await liveRun();
    for (let i = 0; i < 10; i++) await delta(i);
    const joinedAt = performance.now();
    const subscription = await subscribe();
    await expect.poll(() => delivered.length, { interval: 5, timeout: 2_000 }).toBe(10);
    console.info(`a late subscriber had the 10 buffered events after ${(performance.now() - joinedAt).toFixed(1)} ms`);
    for (let i = 10; i < 20; i++) await delta(i);
    expect(delivered).toEqual(seqs(20));
    expect(log.writes).toHaveLength(1);
    await subscription.close();
    await emitter.takeBuffered();
  });

  it('fills the gap a live event shows it, exactly once and in order, while the run streams', async () => {
    const { emitter, delivered, subscribe, delta } = await liveRun();
    for (let i = 0; i < 10; i++) await delta(i);
    const subscription = await subscribe();
    for (let i = 10; i < 40; i++) {
      await delta(i);
      await sleep(2);
    }
    await expect.poll(() => delivered.length, { interval: 5, timeout: 2_000 }).toBe(40);
    expect(delivered).toEqual(seqs(40));
    await subscription.close();
    await emitter.takeBuffered();
  });
});
