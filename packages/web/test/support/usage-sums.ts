import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../../../server/src/pricing/price-catalog.js';
import { priceUsageRecord } from '../../../server/src/usage/price-usage-record.js';

/** The figures the dashboard should show for some records, computed here from the file itself. */
export interface UsageSums {
  requests: number;
  costUsd: number;
  tokens: number;
  unpriced: number;
}

/** The valid records of an NDJSON text (lines that do not parse or validate are skipped). */
export function validRecords(ndjson: string): UsageRecord[] {
  return ndjson.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      const parsed = UsageRecordSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}

/** Sums with the server's own price catalog, as it priced the records on ingest. */
export function sumUsage(records: readonly UsageRecord[], prices: PriceCatalog): UsageSums {
  let costUsd = 0;
  let unpriced = 0;
  let tokens = 0;
  for (const record of records) {
    const { costUsd: cost } = priceUsageRecord(prices, record);
    if (cost === null) unpriced++;
    else costUsd += cost;
    tokens += record.inputTokens + record.outputTokens + record.cacheReadTokens + record.cacheWriteTokens;
  }
  return { requests: records.length, costUsd, tokens, unpriced };
}
