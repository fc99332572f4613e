import crypto from 'node:crypto';
import { describe, inject, it } from 'vitest';
import { createMemoryEphemeralStore } from '../../src/kv/memory-ephemeral-store.js';
import { createRedisEphemeralStore } from '../../src/kv/redis-ephemeral-store.js';
import { ephemeralStoreContract } from './ephemeral-store-contract.js';

/**
 * The EphemeralStore contract over the in-process store (one node) and Redis (nodes sharing a
 * prefix). Without Redis its run is skipped loudly outside CI and fails under CI=true.
 */
const redisUrl = inject('redisUrl');
const redisMissing = inject('servicesMissing')['redis'] ?? 'no Redis URL was provided';

describe('memory ephemeral store', () => {
  ephemeralStoreContract(async () => {
    const store = createMemoryEphemeralStore();
    const other = createMemoryEphemeralStore();
    return {
      store,
      sameDeployment: store,
      otherDeployment: other,
      close: async () => {
        await Promise.all([store.close(), other.close()]);
      },
    };
  });
});

if (redisUrl) {
  describe('Redis ephemeral store', () => {
    ephemeralStoreContract(async () => {
      const prefix = `test-kv-${crypto.randomBytes(4).toString('hex')}:`;
      const [store, sameDeployment, otherDeployment] = await Promise.all([
        createRedisEphemeralStore({ url: redisUrl, prefix }),
        createRedisEphemeralStore({ url: redisUrl, prefix }),
        createRedisEphemeralStore({ url: redisUrl, prefix: `${prefix}other:` }),
      ]);
      return {
        store,
        sameDeployment,
        otherDeployment,
        close: async () => {
          await Promise.all([store.close(), sameDeployment.close(), otherDeployment.close()]);
        },
      };
    });
  });
} else if (process.env['CI'] === 'true') {
  describe('Redis ephemeral store', () => {
    it('needs Redis under CI=true', () => {
      throw new Error(`Redis is required under CI=true: ${redisMissing}`);
    });
  });
} else {
  console.warn(`\n!!! Redis ephemeral store SKIPPED: ${redisMissing}\n`);
  describe.skip(`Redis ephemeral store (SKIPPED: ${redisMissing})`, () => {
    it('runs the contract', () => {});
  });
}
