import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logRedisErrors } from '../logging/redis-connection-log.js';
import type { EphemeralStore } from './ephemeral-store.js';

/** Frees expired places, then takes one if there is room; all in one step on the server. */
const CLAIM_SLOT = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

export async function createRedisEphemeralStore(options: { url: string; prefix: string; logger?: Logger }): Promise<EphemeralStore> {
  const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  logRedisErrors(redis, options.logger, 'ephemeral store');
  await redis.connect();
  const key = (k: string) => `${options.prefix}kv:${k}`;
  return {
    async set(k, value, ttlMs) {
      await redis.set(key(k), value, 'PX', ttlMs);
    },
    get: (k) => redis.get(key(k)),
    // GETDEL is atomic: two nodes racing for one ticket cannot both get it.
    take: (k) => redis.getdel(key(k)),
    async increment(k, ttlMs) {
      const [[, count]] = (await redis.multi().incr(key(k)).pexpire(key(k), ttlMs, 'NX').exec()) as [[null, number], unknown];
      return count;
    },
    async delete(k) {
      await redis.del(key(k));
    },
    async claimSlot(k, member, max, ttlMs) {
      return (await redis.eval(CLAIM_SLOT, 1, key(k), Date.now(), member, max, ttlMs)) === 1;
    },
    async releaseSlot(k, member) {
      await redis.zrem(key(k), member);
    },
    isConnected: () => redis.status === 'ready',
    async close() {
      await redis.quit().catch(() => undefined);
    },
  };
}
