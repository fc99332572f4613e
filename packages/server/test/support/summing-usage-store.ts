import type { UsageStore } from '../../src/usage/usage-store.js';
import { pricedRecordsOfSqlRows } from './sql-json-rows.js';

/** Sums of what a SummingUsageStore was given. */
export interface StoredSums {
  records: number;
  batches: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  unpriced: number;
}

/**
 * A UsageStore test double for volume runs: it adds up what it is given instead of keeping it,
 * so a million records cost no memory and the test measures the ingester alone. Every record
 * counts as inserted; it reads nothing back.
 */
export function createSummingUsageStore(): UsageStore & { sums: StoredSums } {
  const sums: StoredSums = { records: 0, batches: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0, costUsd: 0, unpriced: 0 };
  const unsupported = (): never => {
    throw new Error('the summing store keeps no records to read');
  };
  const store: UsageStore & { sums: StoredSums } = {
    sums,
    rowForm: 'sql-json',
    insertRows: (ownerId, rows) => store.insert(ownerId, pricedRecordsOfSqlRows(rows)),
    async insert(_ownerId, records) {
      sums.batches += 1;
      for (const { record, costUsd } of records) {
        sums.records += 1;
        sums.inputTokens += record.inputTokens;
        sums.cacheReadTokens += record.cacheReadTokens;
        sums.cacheWriteTokens += record.cacheWriteTokens;
        sums.outputTokens += record.outputTokens;
        sums.reasoningTokens += record.reasoningTokens ?? 0;
        if (costUsd === null) sums.unpriced += 1;
        else sums.costUsd += costUsd;
      }
      return { inserted: records.length, duplicates: 0 };
    },
    overview: unsupported,
    aggregate: unsupported,
    prefixStats: unsupported,
    outputStats: unsupported,
  };
  return store;
}
