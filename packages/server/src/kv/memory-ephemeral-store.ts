import type { EphemeralStore } from './ephemeral-store.js';

export function createMemoryEphemeralStore(now: () => number = Date.now): EphemeralStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();

  function sweep() {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }

  return {
    async set(key, value, ttlMs) {
      // Sweeping on write keeps memory bounded by the keys alive in one TTL, with no timer.
      sweep();
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async take(key) {
      const entry = entries.get(key);
      entries.delete(key);
      return entry && entry.expiresAt > now() ? entry.value : null;
    },
    async close() {
      entries.clear();
    },
  };
}
