import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deployments } from '../support/deployments.js';
import type { EphemeralStore } from '../../src/kv/ephemeral-store.js';

/** Short times to live, so expiry is seen within a test; polls wait well past them. */
const SHORT_TTL_MS = 150;
const LONG_TTL_MS = 60_000;
const EXPIRY_WAIT = { timeout: 5_000, interval: 25 };

/**
 * The behaviour every EphemeralStore must have (tickets, OIDC states, rate limits and socket
 * slots rely on it). Registers its tests in the caller's describe block; each test uses keys of
 * its own. A key holds one kind of thing (a value or counter, or slots): Redis refuses a slot
 * claim on a counter's key (WRONGTYPE) where the in-process store keeps them apart, so callers
 * name their keys by purpose (`ticket:`, `slots:`) and the contract does not mix kinds.
 */
export function ephemeralStoreContract(open: () => Promise<Deployments<EphemeralStore>>): void {
  let h: Deployments<EphemeralStore>;
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => {
    await h?.close();
  });
  const fresh = (name: string) => `${name}:${crypto.randomUUID()}`;

  it('sets, reads, overwrites and deletes a value; a missing key reads null', async () => {
    const key = fresh('value');
    expect(await h.node.get(key)).toBeNull();
    await h.node.set(key, 'first', LONG_TTL_MS);
    expect(await h.node.get(key)).toBe('first');
    expect(await h.node.get(key)).toBe('first');
    await h.node.set(key, 'sécond ✓ {"json":true}', LONG_TTL_MS);
    expect(await h.node.get(key)).toBe('sécond ✓ {"json":true}');
    await h.node.delete(key);
    expect(await h.node.get(key)).toBeNull();
    await h.node.delete(key);
  });

  it('takes a key once: of many takers racing on the nodes of a deployment, exactly one gets it', async () => {
    const key = fresh('ticket');
    await h.node.set(key, 'claims', LONG_TTL_MS);
    const takers = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? h.node : h.sameDeployment).take(key));
    const taken = await Promise.all(takers);
    expect(taken.filter((v) => v !== null)).toEqual(['claims']);
    expect(await h.node.take(key)).toBeNull();
    expect(await h.node.get(key)).toBeNull();
  });

  it('forgets a key after its time to live, and keeps the others', async () => {
    const short = fresh('short');
    const long = fresh('long');
    await h.node.set(short, 'x', SHORT_TTL_MS);
    await h.node.set(long, 'y', LONG_TTL_MS);
    await expect.poll(() => h.node.get(short), EXPIRY_WAIT).toBeNull();
    expect(await h.node.take(short)).toBeNull();
    expect(await h.node.get(long)).toBe('y');
  });

  it('counts: every increment of a deployment counts once, and a counter starts again after its time to live', async () => {
    const key = fresh('counter');
    const counts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? h.node : h.sameDeployment).increment(key, LONG_TTL_MS)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const expiring = fresh('counter');
    expect(await h.node.increment(expiring, SHORT_TTL_MS)).toBe(1);
    expect(await h.node.increment(expiring, SHORT_TTL_MS)).toBe(2);
    await expect.poll(() => h.node.get(expiring), EXPIRY_WAIT).toBeNull();
    expect(await h.node.increment(expiring, SHORT_TTL_MS)).toBe(1);
  });

  it('holds at most max places: renewing keeps one, releasing frees one, racing claimants get exactly max', async () => {
    const key = fresh('slots');
    expect(await h.node.claimSlot(key, 'a', 2, LONG_TTL_MS)).toBe(true);
    expect(await h.sameDeployment.claimSlot(key, 'b', 2, LONG_TTL_MS)).toBe(true);
    expect(await h.node.claimSlot(key, 'c', 2, LONG_TTL_MS)).toBe(false);
    expect(await h.node.claimSlot(key, 'a', 2, LONG_TTL_MS)).toBe(true);
    await h.sameDeployment.releaseSlot(key, 'a');
    expect(await h.node.claimSlot(key, 'c', 2, LONG_TTL_MS)).toBe(true);
    await h.node.releaseSlot(key, 'nobody');

    const raced = fresh('slots');
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? h.node : h.sameDeployment).claimSlot(raced, `m${i}`, 3, LONG_TTL_MS)));
    expect(claims.filter(Boolean)).toHaveLength(3);
  });

  it('frees the place of a holder that stopped renewing', async () => {
    const key = fresh('slots');
    expect(await h.node.claimSlot(key, 'gone', 1, SHORT_TTL_MS)).toBe(true);
    expect(await h.node.claimSlot(key, 'next', 1, LONG_TTL_MS)).toBe(false);
    await expect.poll(() => h.node.claimSlot(key, 'next', 1, LONG_TTL_MS), EXPIRY_WAIT).toBe(true);
    expect(await h.node.claimSlot(key, 'gone', 1, LONG_TTL_MS)).toBe(false);
  });

  it('shares nothing with another deployment', async () => {
    const [value, counter, slots] = [fresh('isolated'), fresh('isolated'), fresh('isolated')];
    await h.node.set(value, 'mine', LONG_TTL_MS);
    expect(await h.otherDeployment.get(value)).toBeNull();
    expect(await h.otherDeployment.take(value)).toBeNull();
    expect(await h.node.get(value)).toBe('mine');
    expect(await h.node.increment(counter, LONG_TTL_MS)).toBe(1);
    expect(await h.otherDeployment.increment(counter, LONG_TTL_MS)).toBe(1);
    expect(await h.otherDeployment.claimSlot(slots, 'x', 1, LONG_TTL_MS)).toBe(true);
    expect(await h.node.claimSlot(slots, 'y', 1, LONG_TTL_MS)).toBe(true);
  });
}
