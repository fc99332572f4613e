import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { claimNextRun, claimNextRuns, createRunClaimer, handBackRun, requeueExpiredRuns } from '../../src/runs/run-queue.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

const LEASE_MS = 5_000;

/**
 * The run queue's statements: a claim takes the oldest queued run whose thread has none going,
 * with what the run needs to start; expired leases go back to the queue; a hand-back only while
 * the node holds the run. Each test leaves no run queued for the next.
 */
describe('the run queue', () => {
  let store: { db: Db; close(): Promise<void> };
  beforeAll(async () => {
    store = await openRunStore();
  });
  afterAll(async () => store?.close());

  /**
   * One more queued run in the thread of `run`, asked `afterMs` after it: its message too, or both
   * messages could carry the same time (the embedded engine's clock counts milliseconds) and the
   * first would count the second as history, as a tie does.
   */
  async function queueInThread(run: Awaited<ReturnType<typeof insertRun>>, afterMs: number) {
    const id = crypto.randomUUID();
    const messageId = crypto.randomUUID();
    const at = new Date(Date.now() + afterMs);
    await store.db
      .insertInto('messages')
      .values({ id: messageId, owner_id: run.userId, thread_id: run.threadId, role: 'user', content: 'and then?', run_id: null, created_at: at })
      .execute();
    await store.db
      .insertInto('runs')
      .values({ id, owner_id: run.userId, workspace_id: run.userId, thread_id: run.threadId, message_id: messageId, client_command_id: null, status: 'queued', created_at: at })
      .execute();
    return id;
  }

  it('claims the oldest queued run with its message and owner, and never two of one thread at once', async () => {
    const first = await insertRun(store.db, 'queued', 'Where is my AI money going?');
    const second = await queueInThread(first, 1_000);
    const claimed = await claimNextRun(store.db, 'node-a', LEASE_MS);
    // The thread's first question: no earlier one, so its agents read no history.
    expect(claimed).toMatchObject({ id: first.id, status: 'running', lease_owner: 'node-a', content: 'Where is my AI money going?', email: `${first.userId}@example.com`, has_history: false });
    expect(claimed!.lease_expires_at!.getTime()).toBeGreaterThan(Date.now());
    expect(claimed!.started_at).not.toBeNull();
    // The thread's next run waits for the first to end.
    expect(await claimNextRun(store.db, 'node-b', LEASE_MS)).toBeUndefined();
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', '=', first.id).execute();
    expect(await claimNextRun(store.db, 'node-b', LEASE_MS)).toMatchObject({ id: second, has_history: true });
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', '=', second).execute();
    expect(await claimNextRun(store.db, 'node-b', LEASE_MS)).toBeUndefined();
  });

  it('claims several runs in one statement, oldest first, one per thread, no more than asked for', async () => {
    const a = await insertRun(store.db, 'queued', 'first');
    const aNext = await queueInThread(a, 1);
    const b = await insertRun(store.db, 'queued', 'second');
    const c = await insertRun(store.db, 'queued', 'third');
    const claimed = await claimNextRuns(store.db, 'node-a', LEASE_MS, 2);
    expect(claimed.map((r) => [r.id, r.content])).toEqual([
      [a.id, 'first'],
      [b.id, 'second'],
    ]);
    // The thread of `a` has a run going: its next one waits; `c` is the only one ready.
    expect((await claimNextRuns(store.db, 'node-b', LEASE_MS, 8)).map((r) => r.id)).toEqual([c.id]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', 'in', [a.id, b.id, c.id]).execute();
    expect((await claimNextRuns(store.db, 'node-b', LEASE_MS, 8)).map((r) => r.id)).toEqual([aNext]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', '=', aNext).execute();
  });

  it("a node's claimer, its statement built once per limit, claims what is queued at each call with a fresh lease", async () => {
    const claim = createRunClaimer(store.db, 'node-c', LEASE_MS);
    const a = await insertRun(store.db, 'queued', 'first');
    const aNext = await queueInThread(a, 1);
    const b = await insertRun(store.db, 'queued', 'second');
    const first = await claim(1);
    expect(first.map((r) => [r.id, r.content, r.lease_owner, r.has_history])).toEqual([[a.id, 'first', 'node-c', false]]);
    // The same limit again: the same statement, what is queued now (not the first call's rows).
    expect((await claim(1)).map((r) => r.id)).toEqual([b.id]);
    expect(await claim(1)).toEqual([]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', 'in', [a.id, b.id]).execute();
    const c = await insertRun(store.db, 'queued', 'third');
    const d = await insertRun(store.db, 'queued', 'fourth');
    // Another limit: its own statement, no more than asked for.
    const later = await claim(2);
    expect(later.map((r) => r.id)).toEqual([aNext, c.id]);
    expect(later[0]!.has_history).toBe(true);
    // Each claim's lease runs from its own moment, not from when its statement was built.
    for (const r of later) expect(r.lease_expires_at!.getTime()).toBeGreaterThan(first[0]!.lease_expires_at!.getTime());
    expect((await claim(8)).map((r) => r.id)).toEqual([d.id]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', 'in', [aNext, c.id, d.id]).execute();
  });

  it('never claims two runs of one thread queued at the same instant: the second by id waits for the first', async () => {
    const a = await insertRun(store.db, 'queued', 'first');
    const same = await queueInThread(a, 0);
    const at = new Date(Date.now() - 1_000);
    await store.db.updateTable('runs').set({ created_at: at }).where('id', 'in', [a.id, same]).execute();
    const [firstId, secondId] = [a.id, same].sort();
    const claimed = await claimNextRuns(store.db, 'node-a', LEASE_MS, 8);
    expect(claimed.map((r) => r.id)).toEqual([firstId]);
    expect(await claimNextRuns(store.db, 'node-b', LEASE_MS, 8)).toEqual([]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', '=', firstId!).execute();
    expect((await claimNextRuns(store.db, 'node-b', LEASE_MS, 8)).map((r) => r.id)).toEqual([secondId]);
    await store.db.updateTable('runs').set({ status: 'completed', lease_owner: null }).where('id', '=', secondId!).execute();
  });

  it('puts runs whose lease expired back in the queue, and leaves those still held', async () => {
    const expired = await insertRun(store.db, 'running');
    const held = await insertRun(store.db, 'running');
    await store.db.updateTable('runs').set({ lease_owner: 'dead-node', lease_expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', expired.id).execute();
    await store.db.updateTable('runs').set({ lease_owner: 'live-node', lease_expires_at: sql<Date>`now() + interval '1 minute'` }).where('id', '=', held.id).execute();
    expect(await requeueExpiredRuns(store.db)).toEqual([expired.id]);
    const rows = await store.db.selectFrom('runs').select(['id', 'status', 'lease_owner']).where('id', 'in', [expired.id, held.id]).execute();
    expect(rows).toEqual(expect.arrayContaining([{ id: expired.id, status: 'queued', lease_owner: null }, { id: held.id, status: 'running', lease_owner: 'live-node' }]));
    // Taken up again by the next claim.
    expect((await claimNextRun(store.db, 'node-c', LEASE_MS))?.id).toBe(expired.id);
  });

  it('hands a run back only while this node holds it', async () => {
    const run = await insertRun(store.db, 'running');
    await store.db.updateTable('runs').set({ lease_owner: 'node-b' }).where('id', '=', run.id).execute();
    expect(await handBackRun(store.db, run.id, 'node-a')).toBe(false);
    expect(await handBackRun(store.db, run.id, 'node-b')).toBe(true);
    expect(await store.db.selectFrom('runs').select(['status', 'lease_owner', 'lease_expires_at']).where('id', '=', run.id).executeTakeFirst()).toEqual({
      status: 'queued',
      lease_owner: null,
      lease_expires_at: null,
    });
  });
});
