import { Redis } from 'ioredis';
import type { EphemeralStore } from './ephemeral-store.js';

export async function createRedisEphemeralStore(options: { url: string; prefix: string }): Promise<EphemeralStore> {
  const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  const key = (k: string) => `${options.prefix}kv:${k}`;
  return {
    async set(k, value, ttlMs) {
      await redis.set(key(k), value, 'PX', ttlMs);
    },
    async take(k) {
      // GETDEL is atomic: two nodes racing for one ticket cannot both get it.
      return redis.getdel(key(k));
    },
    async close() {
      await redis.quit().catch(() => undefined);
    },
  };
}
