import crypto from 'node:crypto';
import { describe, inject, it } from 'vitest';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { busContract } from './bus-contract.js';

/**
 * The Bus contract over the in-process bus (one node) and Redis (nodes sharing a prefix).
 * Without Redis its run is skipped loudly outside CI and fails under CI=true.
 */
const redisUrl = inject('redisUrl');
const redisMissing = inject('servicesMissing')['redis'] ?? 'no Redis URL was provided';

describe('memory bus', () => {
  busContract(async () => {
    const bus = createMemoryBus();
    const other = createMemoryBus();
    return {
      bus,
      sameDeployment: bus,
      otherDeployment: other,
      close: async () => {
        await Promise.all([bus.close(), other.close()]);
      },
    };
  });
});

if (redisUrl) {
  describe('Redis bus', () => {
    busContract(async () => {
      const prefix = `test-bus-${crypto.randomBytes(4).toString('hex')}:`;
      const [bus, sameDeployment, otherDeployment] = await Promise.all([
        createRedisBus({ url: redisUrl, prefix }),
        createRedisBus({ url: redisUrl, prefix }),
        createRedisBus({ url: redisUrl, prefix: `${prefix}other:` }),
      ]);
      return {
        bus,
        sameDeployment,
        otherDeployment,
        close: async () => {
          await Promise.all([bus.close(), sameDeployment.close(), otherDeployment.close()]);
        },
      };
    });
  });
} else if (process.env['CI'] === 'true') {
  describe('Redis bus', () => {
    it('needs Redis under CI=true', () => {
      throw new Error(`Redis is required under CI=true: ${redisMissing}`);
    });
  });
} else {
  console.warn(`\n!!! Redis bus SKIPPED: ${redisMissing}\n`);
  describe.skip(`Redis bus (SKIPPED: ${redisMissing})`, () => {
    it('runs the contract', () => {});
  });
}
