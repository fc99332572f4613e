import type { UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import { recordKey } from './record-key.js';
import type { PricedUsageRecord } from './usage-store.js';

/** A validated record with its idempotency key and its price at the call's own time. */
export function priceUsageRecord(prices: PriceCatalog, record: UsageRecord): PricedUsageRecord {
  const costUsd = prices.priceCall({
    model: record.model,
    provider: record.provider ?? null,
    at: new Date(record.ts),
    inputTokens: record.inputTokens,
    cacheReadTokens: record.cacheReadTokens,
    cacheWriteTokens: record.cacheWriteTokens,
    cacheWrite1hTokens: record.cacheWrite1hTokens,
    outputTokens: record.outputTokens,
    batch: record.batch,
  });
  return { record, key: recordKey(record), costUsd };
}
