import crypto from 'node:crypto';
import { describe } from 'vitest';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { usageStoreContract } from './usage-store-contract.js';

// The test double passes the same contract as the SQL store, so tests built on it can trust it.
describe('MemoryUsageStore', () => {
  usageStoreContract(async () => ({
    store: createMemoryUsageStore(),
    createOwner: async () => crypto.randomUUID(),
    close: async () => {},
  }));
});
