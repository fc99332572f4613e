import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, ThreadActivityFrame } from '@tally/protocol';
import { channels } from '../../src/bus/bus.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createRunFinisher } from '../../src/runs/finish-run.js';
import { createRunEmitter } from '../../src/runs/run-emitter.js';
import { createSqlRunEventLog, type RunEventLog } from '../../src/runs/run-event-log.js';
import { RunStopped } from '../../src/runs/run-outcome.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

/**
 * The end of a run on this node: one terminal event with the answer for a run it still holds; a
 * hand-back (what it delivered written, the run queued again) at shutdown; nothing for a run
 * another node owns now.
 */
describe('finishing a run', () => {
  let store: { db: Db; close(): Promise<void> };
  let log: RunEventLog;
  beforeAll(async () => {
    store = await openRunStore();
    log = createSqlRunEventLog(store.db);
  });
  afterAll(async () => store?.close());

  /** A run held by node-a that has delivered one delta (published, still buffered for the log). */
  async function runWithDelta() {
    const inserted = await insertRun(store.db, 'running');
    await store.db.updateTable('runs').set({ lease_owner: 'node-a' }).where('id', '=', inserted.id).execute();
    const row = await store.db.selectFrom('runs').selectAll().where('id', '=', inserted.id).executeTakeFirstOrThrow();
    const bus = createMemoryBus();
    const heard: Record<string, string[]> = { events: [], activity: [], queued: [] };
    await bus.subscribe(channels.runEvents(row.id), (raw) => heard['events']!.push(raw));
    await bus.subscribe(channels.userActivity(row.owner_id), (raw) => heard['activity']!.push(raw));
    await bus.subscribe(channels.runsQueued, (raw) => heard['queued']!.push(raw));
    const emitter = createRunEmitter({ db: store.db, eventLog: log, bus, run: inserted, flushMs: 60_000, onPublishError: () => undefined, onWriteError: () => undefined });
    await emitter.emit({ type: 'message_delta', data: { agent: 'supervisor', text: 'Spend less.' } });
    const finish = createRunFinisher({ db: store.db, log, bus, nodeId: 'node-a', logger: pino({ level: 'silent' }), now: () => new Date(), retryMs: 10, isStopping: () => false });
    const state = async () => store.db.selectFrom('runs').select(['status', 'lease_owner']).where('id', '=', row.id).executeTakeFirstOrThrow();
    const logged = async () => (await log.list(row, 0)).map((e) => `${e.seq} ${e.type}`);
    return { row, emitter, finish, heard, state, logged };
  }

  it('ends a completed run with its buffered events and one terminal event, and announces it', async () => {
    const r = await runWithDelta();
    expect(await r.finish(r.row, r.emitter, { kind: 'completed', result: { answer: 'Spend less.', report: null } })).toBe(true);
    expect(await r.state()).toEqual({ status: 'completed', lease_owner: null });
    expect(await r.logged()).toEqual(['1 message_delta', '2 run_completed']);
    const published = r.heard['events']!.map((raw) => JSON.parse(raw) as RunEvent);
    expect(published.map((e) => `${e.seq} ${e.type}`)).toEqual(['1 message_delta', '2 run_completed']);
    expect(JSON.parse(r.heard['activity']![0]!) as ThreadActivityFrame).toMatchObject({ type: 'thread_activity', runId: r.row.id, status: 'completed', title: 't' });
    expect(r.heard['queued']).toEqual([r.row.id]);
  });

  it('at shutdown writes what it delivered and hands the run back, with no terminal event', async () => {
    const r = await runWithDelta();
    expect(await r.finish(r.row, r.emitter, { kind: 'stopped', reason: new RunStopped('shutdown') })).toBe(false);
    expect(await r.state()).toEqual({ status: 'queued', lease_owner: null });
    expect(await r.logged()).toEqual(['1 message_delta']);
    expect(r.heard['queued']).toEqual([]);
  });

  it('leaves a run whose lease was lost to its new owner: nothing written, nothing announced', async () => {
    const r = await runWithDelta();
    expect(await r.finish(r.row, r.emitter, { kind: 'stopped', reason: new RunStopped('lease-lost') })).toBe(false);
    expect(await r.state()).toEqual({ status: 'running', lease_owner: 'node-a' });
    expect(await r.logged()).toEqual([]);

    const taken = await runWithDelta();
    await store.db.updateTable('runs').set({ lease_owner: 'node-b' }).where('id', '=', taken.row.id).execute();
    expect(await taken.finish(taken.row, taken.emitter, { kind: 'completed', result: { answer: 'late', report: null } })).toBe(false);
    expect(await taken.state()).toEqual({ status: 'running', lease_owner: 'node-b' });
    expect(await taken.logged()).toEqual([]);
    expect(taken.heard['activity']).toEqual([]);
  });
});
