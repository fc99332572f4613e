import { describe } from 'vitest';
import { createMemoryEphemeralStore } from '../../src/kv/memory-ephemeral-store.js';
import { createRedisEphemeralStore } from '../../src/kv/redis-ephemeral-store.js';
import { describeWithService, inProcessDeployments, redisDeployments } from '../support/deployments.js';
import { ephemeralStoreContract } from './ephemeral-store-contract.js';

/** The EphemeralStore contract over the in-process store (one node) and Redis (nodes sharing a prefix). */
describe('memory ephemeral store', () => {
  ephemeralStoreContract(async () => inProcessDeployments(() => createMemoryEphemeralStore()));
});

describeWithService('Redis ephemeral store', 'redis', (url) => {
  ephemeralStoreContract(() => redisDeployments((prefix) => createRedisEphemeralStore({ url, prefix })));
});
