import type { UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { priceUsageRecord } from '../price-usage-record.js';
import type { PricedUsageRecord } from '../usage-store.js';
import type { UsageWriteBatcher } from './usage-write-batcher.js';

/**
 * Prefix of the keys of records received over OTLP: the same call exported again (a retry, a
 * replayed batch, a span and a log record of one call) keys alike and is stored once; a file
 * upload keys its records under its format's name, apart from these.
 */
export const OTLP_KEY_PREFIX = 'otlp:';

/**
 * Prices and stores the records of one export request for the owner, each key once (a request
 * may repeat a call: a span and its log record in one batch), through the workspace's write
 * batcher (merged with other requests' records; resolved once stored). Returns the copies the
 * request itself repeated; what the store found already stored is counted by the batcher.
 */
export async function storeOtlpRecords(
  deps: { batcher: UsageWriteBatcher; prices: PriceCatalog },
  ownerId: string,
  records: readonly UsageRecord[],
): Promise<{ repeated: number; unpricedModels: string[] }> {
  const byKey = new Map<string, PricedUsageRecord>();
  const unpriced = new Set<string>();
  for (const record of records) {
    const priced = priceUsageRecord(deps.prices, record);
    if (priced.costUsd === null) unpriced.add(record.model);
    const key = OTLP_KEY_PREFIX + priced.key;
    if (!byKey.has(key)) {
      priced.key = key;
      byKey.set(key, priced);
    }
  }
  await deps.batcher.write(ownerId, [...byKey.values()]);
  return { repeated: records.length - byKey.size, unpricedModels: [...unpriced].sort() };
}
