import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRunLeases } from '../../src/runs/run-leases.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

const LEASE_MS = 1_000;
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const postgresUrl = inject('postgresUrl');
const engines: Array<[string, string | undefined]> = [['embedded', undefined], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];

/**
 * The worker's leases: renewed on the database's clock, a run another node took is reported lost,
 * a stop carried by the renewal is reported, and a run whose renewal is overdue waits before
 * publishing until a renewal confirms it.
 */
describe.each(engines)('run leases (%s)', (_engine, url) => {
  let store: { db: Db; close(): Promise<void> };

  beforeAll(async () => {
    store = await openRunStore(url);
  });
  afterAll(async () => store?.close());

  async function claimFor(nodeId: string) {
    const run = await insertRun(store.db, 'running');
    await store.db
      .updateTable('runs')
      .set({ lease_owner: nodeId, lease_expires_at: new Date(Date.now() + LEASE_MS) })
      .where('id', '=', run.id)
      .execute();
    return run;
  }

  it('renews held leases on the database clock, and reports a run taken over as lost', async () => {
    let clock = 0;
    const leases = createRunLeases({ db: store.db, nodeId: 'node-a', leaseMs: LEASE_MS, logger, clock: () => clock });
    const kept = await claimFor('node-a');
    const taken = await claimFor('node-a');
    const seen: string[] = [];
    leases.hold(kept.id, 0, { lost: () => seen.push('kept lost'), cancelled: () => seen.push('kept cancelled') });
    leases.hold(taken.id, 0, { lost: () => seen.push('taken lost'), cancelled: () => seen.push('taken cancelled') });
    // Another node reclaimed one of them.
    await store.db.updateTable('runs').set({ lease_owner: 'node-b' }).where('id', '=', taken.id).execute();
    await store.db.updateTable('runs').set({ cancel_requested: true }).where('id', '=', kept.id).execute();
    const before = await store.db.selectFrom('runs').select('lease_expires_at').where('id', '=', kept.id).executeTakeFirstOrThrow();
    clock = 10;
    await sleep(LEASE_MS / 2);
    const after = await store.db.selectFrom('runs').select('lease_expires_at').where('id', '=', kept.id).executeTakeFirstOrThrow();
    expect(after.lease_expires_at!.getTime()).toBeGreaterThan(before.lease_expires_at!.getTime());
    expect(seen).toContain('taken lost');
    expect(seen).toContain('kept cancelled');
    expect(seen).not.toContain('kept lost');
    leases.stop();
  });

  it('a run whose renewal is overdue waits before publishing, and goes on once a renewal confirms it', async () => {
    let clock = 0;
    const leases = createRunLeases({ db: store.db, nodeId: 'node-c', leaseMs: LEASE_MS, logger, clock: () => clock });
    const run = await claimFor('node-c');
    leases.hold(run.id, 0, { lost: () => undefined, cancelled: () => undefined });
    const controller = new AbortController();
    // Within the lease minus its margin: no wait.
    clock = 100;
    expect(leases.whenHeld(run.id, controller.signal)).toBeUndefined();
    // Past it (as after a database pause): the run waits for a renewal sent after this point.
    clock = 5_000;
    let released = false;
    const waiting = leases.whenHeld(run.id, controller.signal)!.then(() => (released = true));
    await sleep(20);
    expect(released).toBe(false);
    await waiting;
    expect(released).toBe(true);
    leases.stop();
  });

  it('a run that cannot be confirmed keeps waiting until it is stopped', async () => {
    let clock = 0;
    // Renewals never come back: the database is away.
    const away = { updateTable: () => ({ set: () => ({ where: () => ({ where: () => ({ where: () => ({ returning: () => ({ execute: () => new Promise(() => undefined) }) }) }) }) }) }) } as unknown as Db;
    const leases = createRunLeases({ db: away, nodeId: 'node-d', leaseMs: LEASE_MS, logger, clock: () => clock });
    leases.hold('run-d', 0, { lost: () => undefined, cancelled: () => undefined });
    clock = 5_000;
    const controller = new AbortController();
    let released = false;
    const waiting = leases.whenHeld('run-d', controller.signal)!.then(() => (released = true));
    await sleep(LEASE_MS / 2);
    expect(released).toBe(false);
    controller.abort();
    await waiting;
    leases.stop();
  });
});
