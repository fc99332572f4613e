import type { UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { priceUsageRecord } from '../price-usage-record.js';
import type { PricedUsageRecord, UsageStore } from '../usage-store.js';

/**
 * Prefix of the keys of records received over OTLP: the same call exported again (a retry, a
 * replayed batch, a span and a log record of one call) keys alike and is stored once; a file
 * upload keys its records under its format's name, apart from these.
 */
export const OTLP_KEY_PREFIX = 'otlp:';

/**
 * Prices and stores the records of one export request for the owner, each key once (a request
 * may repeat a call: a span and its log record in one batch). Returns what the store added and
 * what it already had.
 */
export async function storeOtlpRecords(
  deps: { store: UsageStore; prices: PriceCatalog },
  ownerId: string,
  records: readonly UsageRecord[],
): Promise<{ inserted: number; duplicates: number; unpricedModels: string[] }> {
  const byKey = new Map<string, PricedUsageRecord>();
  const unpriced = new Set<string>();
  for (const record of records) {
    const priced = priceUsageRecord(deps.prices, record);
    if (priced.costUsd === null) unpriced.add(record.model);
    const key = OTLP_KEY_PREFIX + priced.key;
    if (!byKey.has(key)) byKey.set(key, { ...priced, key });
  }
  let inserted = 0;
  let duplicates = records.length - byKey.size;
  const all = [...byKey.values()];
  const chunk = deps.store.insertBatchSize ?? 1000;
  for (let i = 0; i < all.length; i += chunk) {
    const result = await deps.store.insert(ownerId, all.slice(i, i + chunk));
    inserted += result.inserted;
    duplicates += result.duplicates;
  }
  return { inserted, duplicates, unpricedModels: [...unpriced].sort() };
}
