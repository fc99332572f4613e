import type { IngestSummary, UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import { readUsageNdjson, type ChunkSource } from './ndjson-reader.js';
import { priceUsageRecord } from './price-usage-record.js';
import type { PricedUsageRecord, UsageStore } from './usage-store.js';

export interface IngestProgress {
  /** Bytes read from the source so far. */
  bytes: number;
  /** Non-blank lines read so far. */
  lines: number;
  inserted: number;
  duplicates: number;
  rejected: number;
}

export interface IngestOptions {
  /** Called after every stored batch and once at the end. */
  onProgress?(progress: IngestProgress): void;
  /**
   * Stops reading and storing. Batches already stored stay stored: ingestion is idempotent, so
   * running the same file again completes it without duplicates.
   */
  signal?: AbortSignal;
}

export interface UsageIngester {
  /** Reads NDJSON usage records, prices and stores them for the owner; bad lines are reported, not fatal. */
  ingest(ownerId: string, source: ChunkSource, options?: IngestOptions): Promise<IngestSummary>;
}

export interface UsageIngesterDeps {
  store: UsageStore;
  prices: PriceCatalog;
  /** Records per insert; about 1000 keeps a batch well under PostgreSQL's parameter limit. */
  batchSize?: number;
}

/** Line errors listed in a summary; the counts stay exact beyond it. */
export const MAX_LISTED_ERRORS = 100;

/** Builds the use case that turns an NDJSON upload into stored, priced usage records. */
export function createUsageIngester({ store, prices, batchSize = 1000 }: UsageIngesterDeps): UsageIngester {
  const price = (record: UsageRecord): PricedUsageRecord => priceUsageRecord(prices, record);

  return {
    async ingest(ownerId, source, options = {}) {
      const { onProgress, signal } = options;
      const progress: IngestProgress = { bytes: 0, lines: 0, inserted: 0, duplicates: 0, rejected: 0 };
      const errors: IngestSummary['errors'] = [];
      const unpriced = new Set<string>();
      let batch: PricedUsageRecord[] = [];

      async function flush(): Promise<void> {
        if (batch.length === 0) return;
        signal?.throwIfAborted();
        const result = await store.insert(ownerId, batch);
        progress.inserted += result.inserted;
        progress.duplicates += result.duplicates;
        batch = [];
        onProgress?.({ ...progress });
      }

      const counted = countBytes(source, (n) => (progress.bytes += n));
      for await (const line of readUsageNdjson(counted)) {
        signal?.throwIfAborted();
        progress.lines += 1;
        if ('error' in line) {
          progress.rejected += 1;
          if (errors.length < MAX_LISTED_ERRORS) errors.push({ line: line.lineNumber, reason: line.error });
          continue;
        }
        const priced = price(line.record);
        if (priced.costUsd === null) unpriced.add(line.record.model);
        batch.push(priced);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      onProgress?.({ ...progress });

      return {
        lines: progress.lines,
        inserted: progress.inserted,
        duplicates: progress.duplicates,
        rejected: progress.rejected,
        errors,
        unpricedModels: [...unpriced].sort(),
      };
    },
  };
}

/** Passes chunks through, reporting each one's size in bytes. */
async function* countBytes(source: ChunkSource, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array | string> {
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') onBytes(Buffer.byteLength(chunk, 'utf-8'));
    else if (chunk instanceof Uint8Array) onBytes(chunk.byteLength);
    else throw new TypeError(`NDJSON source yielded ${typeof chunk}, expected bytes or text`);
    yield chunk;
  }
}
