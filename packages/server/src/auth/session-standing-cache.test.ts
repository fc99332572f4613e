import { describe, expect, it } from 'vitest';
import type { Bus } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory-bus.js';
import { SESSIONS_REVOKED_CHANNEL, type SessionStanding } from './session-service.js';
import { createSessionStandingCache } from './session-standing-cache.js';
import { publishRevocation } from './credential-revocation.js';

const open = (sessionId: string, disabled = false): SessionStanding => ({ sessionId, userId: 'u1', account: { email: 'a@x.io', role: 'member', disabled } });

/** A database stand-in counting reads; `answer` is what the session looks like now. */
function fakeSessions(answer: (id: string) => SessionStanding | null) {
  const state = { reads: 0, answer };
  return { state, read: async (id: string) => (state.reads++, state.answer(id)) };
}

/** The memory bus, with a handle to fire its reconnect handlers. */
function reconnectableBus(): Bus & { reconnect(): void } {
  const bus = createMemoryBus();
  const handlers = new Set<() => void>();
  return {
    ...bus,
    onReconnect: (handler) => (handlers.add(handler), () => handlers.delete(handler)),
    reconnect: () => handlers.forEach((h) => h()),
  };
}

const revoke = (bus: Bus, ...sessionIds: string[]) => bus.publish(SESSIONS_REVOKED_CHANNEL, JSON.stringify({ type: 'sessions_revoked', sessionIds }));

describe('session standing cache', () => {
  it('answers an open session from memory within the bound, and reads it again after', async () => {
    let clock = 0;
    const db = fakeSessions(open);
    const cache = await createSessionStandingCache({ read: db.read, bus: createMemoryBus(), ttlMs: 1000, maxEntries: 10, now: () => clock });
    expect(await cache.standing('s1')).toEqual(open('s1'));
    expect(await cache.standing('s1')).toEqual(open('s1'));
    expect(db.state.reads).toBe(1);
    clock = 1000;
    db.state.answer = () => null;
    expect(await cache.standing('s1')).toBeNull();
    expect(db.state.reads).toBe(2);
  });

  it('forgets a session the moment its revocation is published', async () => {
    const bus = createMemoryBus();
    const db = fakeSessions(open);
    const cache = await createSessionStandingCache({ read: db.read, bus, ttlMs: 60_000, maxEntries: 10 });
    await cache.standing('s1');
    await cache.standing('s2');
    db.state.answer = () => null;
    await revoke(bus, 's1');
    expect(await cache.standing('s1')).toBeNull();
    // Other sessions are still remembered.
    expect(await cache.standing('s2')).toEqual(open('s2'));
    expect(db.state.reads).toBe(3);
  });

  it('forgets every session of an account the moment it is closed, and nothing for a revoked key', async () => {
    const bus = createMemoryBus();
    const db = fakeSessions((id) => ({ ...open(id), userId: id.startsWith('a') ? 'ua' : 'ub' }));
    const cache = await createSessionStandingCache({ read: db.read, bus, ttlMs: 60_000, maxEntries: 10 });
    for (const id of ['a1', 'a2', 'b1']) await cache.standing(id);
    await publishRevocation(bus, 'ub', { type: 'api_keys_revoked', keyIds: ['k1'] });
    await publishRevocation(bus, 'ua', { type: 'account_closed', userId: 'ua' });
    db.state.answer = () => null;
    expect(await cache.standing('a1')).toBeNull();
    expect(await cache.standing('a2')).toBeNull();
    expect(await cache.standing('b1')).toMatchObject({ userId: 'ub' });
    expect(db.state.reads).toBe(5);
  });

  it('forgets everything after the bus reconnects', async () => {
    const bus = reconnectableBus();
    const db = fakeSessions(open);
    const cache = await createSessionStandingCache({ read: db.read, bus, ttlMs: 60_000, maxEntries: 10 });
    await cache.standing('s1');
    db.state.answer = () => null;
    bus.reconnect();
    expect(await cache.standing('s1')).toBeNull();
  });

  it('does not keep a read that overlapped a revocation, nor a refused or disabled standing', async () => {
    const bus = createMemoryBus();
    const db = fakeSessions(open);
    let gate = Promise.resolve();
    const cache = await createSessionStandingCache({ read: async (id) => (await gate, db.read(id)), bus, ttlMs: 60_000, maxEntries: 10 });
    // The read starts, the session is revoked (message heard) before the read's answer is back.
    let release!: () => void;
    gate = new Promise<void>((resolve) => (release = resolve));
    const pending = cache.standing('s1');
    await revoke(bus, 's1');
    release();
    expect(await pending).toEqual(open('s1'));
    db.state.answer = () => null;
    expect(await cache.standing('s1')).toBeNull();
    expect(db.state.reads).toBe(2);
    // Refused and disabled standings are read every time.
    expect(await cache.standing('s1')).toBeNull();
    expect(db.state.reads).toBe(3);
    const disabled = fakeSessions((id) => open(id, true));
    const cache2 = await createSessionStandingCache({ read: disabled.read, bus, ttlMs: 60_000, maxEntries: 10 });
    await cache2.standing('s9');
    await cache2.standing('s9');
    expect(disabled.state.reads).toBe(2);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const db = fakeSessions(open);
    const cache = await createSessionStandingCache({ read: db.read, bus: createMemoryBus(), ttlMs: 60_000, maxEntries: 2 });
    await cache.standing('s1');
    await cache.standing('s2');
    await cache.standing('s3');
    expect(db.state.reads).toBe(3);
    await cache.standing('s3');
    await cache.standing('s2');
    expect(db.state.reads).toBe(3);
    await cache.standing('s1');
    expect(db.state.reads).toBe(4);
  });
});
