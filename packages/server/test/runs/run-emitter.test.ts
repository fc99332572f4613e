import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { channels } from '../../src/bus/bus.js';
import { createRunEmitter } from '../../src/runs/run-emitter.js';
import { createSqlRunEventLog, listRunEvents } from '../../src/runs/run-event-log.js';
import type { RunCheckpoint } from '../../src/runs/run-checkpoints.js';
import type { Db } from '../../src/store/database.js';
import { countingLog, insertRun, openRunStore } from './run-store-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the run emitter (publish first, write behind)', () => {
  let store: Awaited<ReturnType<typeof openRunStore>>;
  let db: Db;
  beforeAll(async () => {
    store = await openRunStore();
    db = store.db;
  });
  afterAll(async () => {
    await store.close();
  });

  function emitterOf(run: { id: string; threadId: string; lastSeq: number }, flushMs: number, errors: unknown[] = []) {
    const log = countingLog(createSqlRunEventLog(db));
    const bus = createMemoryBus();
    const emitter = createRunEmitter({ db, eventLog: log, bus, run, flushMs, onPublishError: (e) => errors.push(e), onWriteError: (e) => errors.push(e) });
    return { log, bus, emitter };
  }

  it('publishes an event before it is written, and writes it within the flush interval', async () => {
    const run = await insertRun(db);
    const { log, bus, emitter } = emitterOf(run, 100);
    const published: Array<{ seq: number; writesThen: number; at: number }> = [];
    await bus.subscribe(channels.runEvents(run.id), (raw) => {
      published.push({ seq: (JSON.parse(raw) as RunEvent).seq, writesThen: log.writes.length, at: performance.now() });
    });
    const emittedAt = performance.now();
    await emitter.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    expect(published).toEqual([{ seq: 1, writesThen: 0, at: expect.any(Number) }]);
    expect(await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0)).toEqual([]);
    await expect.poll(() => log.writes.length, { interval: 5 }).toBe(1);
    expect(log.writes[0]!.at - emittedAt).toBeGreaterThanOrEqual(95);
    expect((await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0)).map((e) => e.seq)).toEqual([1]);
  });

  it('writes 500 deltas emitted back to back in one or two writes, in order, all published in order', async () => {
    const run = await insertRun(db);
    const { log, bus, emitter } = emitterOf(run, 250);
    const published: number[] = [];
    await bus.subscribe(channels.runEvents(run.id), (raw) => published.push((JSON.parse(raw) as RunEvent).seq));
    for (let i = 0; i < 500; i++) await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: `t${i} ` } });
    const all = Array.from({ length: 500 }, (_, i) => i + 1);
    expect(published).toEqual(all);
    await expect.poll(() => log.writes.flatMap((w) => w.seqs).length, { timeout: 5_000 }).toBe(500);
    console.info(`500 deltas emitted back to back: ${log.writes.length} event-log write(s)`);
    expect(log.writes.length).toBeGreaterThanOrEqual(1);
    expect(log.writes.length).toBeLessThanOrEqual(2);
    expect((await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0)).map((e) => e.seq)).toEqual(all);
  });

  it('writes a run streaming 50 deltas/s for 2 s at most once per flush interval, never per token', async () => {
    const run = await insertRun(db);
    const { log, emitter } = emitterOf(run, 250);
    for (let i = 0; i < 100; i++) {
      await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: `t${i} ` } });
      await sleep(20);
    }
    await emitter.flush();
    const streamed = log.writes.slice(0, -1).map((w) => w.at);
    let maxPerWindow = 0;
    for (let i = 0, j = 0; j < streamed.length; j++) {
      while (streamed[j]! - streamed[i]! >= 240) i++; // timers may fire a few ms early
      maxPerWindow = Math.max(maxPerWindow, j - i + 1);
    }
    console.info(`100 deltas over ~2 s: ${log.writes.length} writes, at most ${maxPerWindow} per 250 ms`);
    expect(maxPerWindow).toBe(1);
    expect(log.writes.length).toBeLessThanOrEqual(12);
    expect(log.writes.flatMap((w) => w.seqs)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('writes at once when the buffer is full, whatever its age', async () => {
    const run = await insertRun(db);
    const { log, emitter } = emitterOf(run, 60_000);
    for (let i = 0; i < 1_000; i++) await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: 'x' } });
    await expect.poll(() => log.writes.length, { timeout: 5_000 }).toBe(1);
    expect(log.writes[0]!.seqs).toHaveLength(1_000);
    await emitter.takeBuffered();
  });

  it('writes a step checkpoint right after the flush of its events, never before them nor on its own', async () => {
    const run = await insertRun(db);
    const saved: Array<{ checkpoint: RunCheckpoint; writesThen: number }> = [];
    const log = countingLog(createSqlRunEventLog(db));
    const emitter = createRunEmitter({
      db,
      eventLog: log,
      bus: createMemoryBus(),
      run,
      flushMs: 60_000,
      saveCheckpoint: async (checkpoint) => void saved.push({ checkpoint, writesThen: log.writes.length }),
      onPublishError: () => undefined,
      onWriteError: () => undefined,
    });
    await emitter.emit({ type: 'agent_completed', data: { agent: 'triage', summary: 's', durationMs: 1 } });
    emitter.checkpoint({ steps: { triage: 1 }, seq: emitter.lastSeq });
    await sleep(20);
    expect(saved).toEqual([]);
    await emitter.flush();
    expect(saved).toEqual([{ checkpoint: { steps: { triage: 1 }, seq: 1 }, writesThen: 1 }]);
    // What the end transaction takes is not written by the emitter.
    await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: 'x' } });
    expect((await emitter.takeBuffered()).map((e) => e.event.seq)).toEqual([2]);
    await emitter.flush();
    expect(log.writes).toHaveLength(1);
  });

  it('stops and reports when a write fails (another node wrote that seq)', async () => {
    const run = await insertRun(db);
    const errors: unknown[] = [];
    const first = emitterOf(run, 10_000, errors).emitter;
    const second = emitterOf(run, 10_000, errors).emitter;
    await first.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    await first.flush();
    await second.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    await expect(second.flush()).rejects.toMatchObject({ code: '23505' });
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code?: string }).code).toBe('23505');
    expect(() => second.emit({ type: 'agent_started', data: { agent: 'triage' } })).toThrow();
    // The failed batch is kept for the end transaction.
    expect((await second.takeBuffered()).map((e) => e.event.seq)).toEqual([1]);
  });
});
