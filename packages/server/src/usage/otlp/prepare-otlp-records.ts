import type { PriceCatalog } from '../../pricing/price-catalog.js';
import type { MappedItem } from '../formats/usage-format.js';
import { priceUsageRecord } from '../price-usage-record.js';
import type { UsageRowForm, UsageRows } from '../usage-row-form.js';
import { createUsageRowsBuilder } from '../usage-rows.js';

/**
 * Prefix of the keys of records received over OTLP: the same call exported again (a retry, a
 * replayed batch, a span and a log record of one call) keys alike and is stored once; a file
 * upload keys its records under its format's name, apart from these.
 */
export const OTLP_KEY_PREFIX = 'otlp:';

/** Where an export request's records go: the workspace, and its store's row form. */
export interface OtlpRowsTarget {
  workspaceId: string;
  form: UsageRowForm;
}

/** An export request's records as its store takes them. */
export interface OtlpRecordsPrepared {
  /** Priced, keyed (each key once) and serialised: what the write batcher stores. */
  rows: UsageRows;
  /** Records the request itself repeated (a span and its log record in one batch): kept once. */
  repeated: number;
  /** Models the catalog could not price, sorted (their records are stored with no cost). */
  unpricedModels: string[];
  /** `#<position>: <reason>` per refused item (by the mapping, or by the store's columns), in request order. */
  errors: string[];
}

/**
 * Prices, keys and serialises the mapped records of one export request, where it is read (the
 * OTLP reader thread, with a catalog rebuilt from the node's: otlp-reader-thread-entry.ts), so
 * the node's event loop holds the request as a few strings until it is stored, never as records.
 * The first record of a key is the one kept. A record its store cannot hold (a time ClickHouse
 * cannot store) is refused alone, as the mapping refuses an item, instead of failing the insert
 * it would share with other requests.
 */
export function prepareOtlpRecords(items: readonly MappedItem[], prices: PriceCatalog, target: OtlpRowsTarget): OtlpRecordsPrepared {
  const rows = createUsageRowsBuilder(target.form, target.workspaceId);
  const unpriced = new Set<string>();
  const errors: string[] = [];
  let repeated = 0;
  for (const item of items) {
    if (!('record' in item)) {
      errors.push(`#${item.lineNumber}: ${item.error}`);
      continue;
    }
    const priced = priceUsageRecord(prices, item.record);
    if (priced.costUsd === null) unpriced.add(item.record.model);
    priced.key = OTLP_KEY_PREFIX + priced.key;
    try {
      if (!rows.add(priced)) repeated += 1;
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      errors.push(`#${item.lineNumber}: ${error.message}`);
    }
  }
  return { rows: rows.finish(), repeated, unpricedModels: [...unpriced].sort(), errors };
}
