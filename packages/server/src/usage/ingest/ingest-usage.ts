import type { IngestSummary, UsageRecord } from '@tally/protocol';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { openUsageInput } from '../formats/open-usage-input.js';
import type { CsvMapping, MappedItem, UsageFormatName } from '../formats/usage-format.js';
import { priceUsageRecord } from '../price-usage-record.js';
import { decodeUsageText } from '../formats/usage-bytes.js';
import type { ChunkSource } from '../formats/text-lines.js';
import type { PricedUsageRecord, UsageStore } from '../usage-store.js';

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
  /** The content's format; detected from its first lines when absent (formats/detect-format.ts). */
  format?: UsageFormatName;
  /** CSV only: which column fills which record field (column name → field name). */
  mapping?: CsvMapping;
  /** The body's Content-Encoding (`gzip`); gzip and UTF-16 content is recognised without it too. */
  contentEncoding?: string;
  /** Told the format being read, once, before anything is stored. */
  onFormat?(format: UsageFormatName): void;
  /**
   * Stops reading and storing. Batches already stored stay stored: ingestion is idempotent, so
   * running the same file again completes it without duplicates.
   */
  signal?: AbortSignal;
}

export interface UsageIngester {
  /**
   * Reads usage in any supported format (Tally's NDJSON, OpenAI, Anthropic, LiteLLM, OTLP GenAI
   * spans, Claude Code logs, CSV), prices and stores it for the owner; bad lines are reported, not
   * fatal. Throws AppError VALIDATION_FAILED for options that cannot apply (a CSV mapping naming
   * a missing column).
   */
  ingest(workspaceId: string, source: ChunkSource, options?: IngestOptions): Promise<IngestSummary>;
}

export interface UsageIngesterDeps {
  store: UsageStore;
  prices: PriceCatalog;
  /** Records per insert; the store's own `insertBatchSize` when absent, else 1000. */
  batchSize?: number;
}

/** Line errors listed in a summary; the counts stay exact beyond it. */
export const MAX_LISTED_ERRORS = 100;

/**
 * Builds the use case that turns an upload into stored, priced usage records. Records keep the
 * key `recordKey` gives them in Tally's own format; records mapped from another format get it
 * prefixed with the format's name, so the same provider id read from two sources stays apart
 * while the same file read twice adds nothing.
 */
export function createUsageIngester({ store, prices, batchSize = store.insertBatchSize ?? 1000 }: UsageIngesterDeps): UsageIngester {
  return {
    async ingest(workspaceId, source, options = {}) {
      const { onProgress, signal } = options;
      const progress: IngestProgress = { bytes: 0, lines: 0, inserted: 0, duplicates: 0, rejected: 0 };
      const errors: IngestSummary['errors'] = [];
      const unpriced = new Set<string>();
      let batch: PricedUsageRecord[] = [];
      const session = store.openIngest?.(workspaceId) ?? { insert: (records: PricedUsageRecord[]) => store.insert(workspaceId, records), finish: async () => {} };
      /*
       * One insert runs while the next batch is read and priced: a store in another process
       * (ClickHouse, PostgreSQL) works on one core while parsing and pricing use the other.
       * Batches are still stored one at a time, in order. A failed insert is kept, not left as an
       * unhandled rejection, and thrown at the next flush or at the end.
       */
      let storing: Promise<void> = Promise.resolve();
      let failure: { error: unknown } | null = null;
      async function settle(): Promise<void> {
        await storing;
        if (failure) throw failure.error;
      }

      async function flush(): Promise<void> {
        if (batch.length === 0) return;
        signal?.throwIfAborted();
        await settle();
        const records = batch;
        batch = [];
        storing = session.insert(records).then(
          (result) => {
            progress.inserted += result.inserted;
            progress.duplicates += result.duplicates;
            onProgress?.({ ...progress });
          },
          (error: unknown) => {
            failure = { error };
          },
        );
      }

      function reject(lineNumber: number, reason: string): void {
        progress.rejected += 1;
        if (errors.length < MAX_LISTED_ERRORS) errors.push({ line: lineNumber, reason });
      }

      const input = await openUsageInput(
        decodeUsageText(countBytes(source, (n) => (progress.bytes += n)), { contentEncoding: options.contentEncoding }),
        { format: options.format, mapping: options.mapping },
      );
      options.onFormat?.(input.format.name);
      const prefix = input.format.name === 'tally' ? '' : `${input.format.name}:`;
      const price = (record: UsageRecord): PricedUsageRecord => {
        const priced = priceUsageRecord(prices, record);
        return prefix === '' ? priced : { ...priced, key: prefix + priced.key };
      };
      /** Adds mapped items to the batch; true when the batch is full. */
      const take = (items: readonly MappedItem[]): boolean => {
        for (const item of items) {
          if ('error' in item) {
            reject(item.lineNumber, item.error);
            continue;
          }
          const priced = price(item.record);
          if (priced.costUsd === null) unpriced.add(item.record.model);
          batch.push(priced);
        }
        return batch.length >= batchSize;
      };

      try {
        for await (const unit of input.units) {
          signal?.throwIfAborted();
          progress.lines += 1;
          if ('error' in unit) reject(unit.lineNumber, unit.error);
          else if (take(input.mapper.map(unit.value, unit.lineNumber))) await flush();
        }
        take(input.mapper.flush());
        await flush();
        await settle();
      } catch (error) {
        // Stopped or failed: the insert under way finishes first, so what was stored is known,
        // and complete (the session's derived data included); the first error is the one thrown.
        await storing;
        await session.finish().catch(() => {});
        throw error;
      }
      await session.finish();
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
