import type { EphemeralStore } from './ephemeral-store.js';

const SWEEP_INTERVAL_MS = 1_000;

export function createMemoryEphemeralStore(now: () => number = Date.now): EphemeralStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const slots = new Map<string, Map<string, number>>();
  let sweptAt = 0;

  function live(key: string) {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }
  /** At most once a second: a sweep per write made a burst of N tickets cost N² steps. */
  function sweep() {
    const t = now();
    if (t - sweptAt < SWEEP_INTERVAL_MS) return;
    sweptAt = t;
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }

  return {
    async set(key, value, ttlMs) {
      // Sweeping on write keeps memory bounded by the keys alive in one TTL (and a second), with no timer.
      sweep();
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async take(key) {
      const entry = live(key);
      entries.delete(key);
      return entry?.value ?? null;
    },
    async increment(key, ttlMs) {
      const entry = live(key);
      if (!entry) {
        sweep();
        entries.set(key, { value: '1', expiresAt: now() + ttlMs });
        return 1;
      }
      entry.value = String(Number(entry.value) + 1);
      return Number(entry.value);
    },
    async delete(key) {
      entries.delete(key);
    },
    async claimSlot(key, member, max, ttlMs) {
      const t = now();
      let held = slots.get(key);
      if (!held) slots.set(key, (held = new Map()));
      for (const [m, expiresAt] of held) if (expiresAt <= t) held.delete(m);
      if (!held.has(member) && held.size >= max) return false;
      held.set(member, t + ttlMs);
      return true;
    },
    async releaseSlot(key, member) {
      const held = slots.get(key);
      held?.delete(member);
      if (held?.size === 0) slots.delete(key);
    },
    async close() {
      entries.clear();
      slots.clear();
    },
  };
}
