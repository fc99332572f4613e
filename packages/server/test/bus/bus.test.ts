import { describe } from 'vitest';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { describeWithService, inProcessDeployments, redisDeployments } from '../support/deployments.js';
import { busContract } from './bus-contract.js';

/** The Bus contract over the in-process bus (one node) and Redis (nodes sharing a prefix). */
describe('memory bus', () => {
  busContract(async () => inProcessDeployments(createMemoryBus));
});

describeWithService('Redis bus', 'redis', (url) => {
  busContract(() => redisDeployments((prefix) => createRedisBus({ url, prefix })));
});
