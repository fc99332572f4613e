import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../app-error.js';
import { appErrorOf } from '../../app-error-of.js';
import type { GenaiPriceCatalogOptions } from '../../pricing/genai-price-catalog.js';
import { openUsageStore } from '../usage-store-access.js';
import type { UsageStore } from '../usage-store.js';
import { createOtlpIngestion, type OtlpIngestion } from './otlp-ingestion.js';
import { createOtlpReaderThread } from './otlp-reader-thread.js';
import type { OtlpIngestError, OtlpIngestMessage, OtlpIngestReport, OtlpIngestThreadData } from './otlp-ingest-thread.js';

/**
 * The OTLP ingest thread (otlp-ingest-thread.ts): has each export request read by its reader
 * thread (otlp-reader-thread.ts, which prices with the node's latest snapshot), stores its calls
 * once the main thread allows it, over this thread's own connection to the store, and answers with
 * counts or a typed error. It does little else, so the store's answers are taken as they come: it
 * runs at the process's priority; the reading, which can wait, at a lower one.
 */
const port = parentPort;
if (!port) throw new Error('otlp-ingest-thread-entry runs as a worker thread');
const data = workerData as OtlpIngestThreadData;

const report = (message: OtlpIngestReport) => port.postMessage(message);
/** The node's latest prices (a new object per change: the reader thread is sent each once). */
let prices: GenaiPriceCatalogOptions | undefined;
const reader = createOtlpReaderThread({
  pricingSnapshot: () => {
    // The node sends its prices before its first request; a request before them is a bug in the node.
    if (!prices) throw new Error('no prices received before the first request');
    return prices;
  },
});
/** The store, opened with the first request; opened again by the next one after a failed open (a store away). */
let ingestion: Promise<OtlpIngestion> | undefined;
/** Per request in flight: what the main thread decides about its principal. */
const decisions = new Map<number, { allow(): void; refuse(): void }>();

function opened(): Promise<OtlpIngestion> {
  ingestion ??= openUsageStore(data.store).then(
    // Closed with the thread: terminating it ends its connections.
    ({ store }) => ingestionOver(store),
    (error: unknown) => {
      ingestion = undefined;
      throw error;
    },
  );
  return ingestion;
}

function ingestionOver(store: UsageStore): OtlpIngestion {
  return createOtlpIngestion({
    store,
    read: (job) => reader.read(job),
    onWritten: (workspaceId, { inserted, duplicates }) => report({ type: 'written', workspaceId, inserted, duplicates }),
    onVisible: (workspaceId) => report({ type: 'visible', workspaceId }),
    onRollupFailed: (workspaceId, error) => report({ type: 'rollup-failed', workspaceId, message: error instanceof Error ? error.message : String(error) }),
  });
}

port.on('message', (message: OtlpIngestMessage) => {
  switch (message.type) {
    case 'prices':
      prices = message.snapshot;
      return;
    case 'allow':
      decisions.get(message.id)?.allow();
      return;
    case 'refuse':
      decisions.get(message.id)?.refuse();
      return;
    case 'ingest': {
      const { id, job } = message;
      const allowed = new Promise<void>((allow, refuse) =>
        decisions.set(id, { allow, refuse: () => refuse(new AppError('WORKSPACE_FORBIDDEN', 'The node refused this request.')) }),
      );
      // The store opens with the first request, which waits for it; the read and the main
      // thread's check of the principal then run side by side (otlp-ingestion.ts).
      opened()
        .then((ingest) => ingest.ingest(job, allowed), async (error: unknown) => {
          // Nothing stored, and the main thread's refusal comes first.
          await allowed;
          throw error;
        })
        .then(
          (ingested) => report({ type: 'done', id, ok: true, ingested }),
          (error: unknown) => report({ type: 'done', id, ok: false, error: ingestErrorOf(error) }),
        )
        .finally(() => decisions.delete(id));
    }
  }
});

function ingestErrorOf(error: unknown): OtlpIngestError {
  const answered = appErrorOf(error);
  return {
    code: answered.code,
    message: answered.message,
    ...(answered.details !== undefined ? { details: answered.details } : {}),
    ...(answered !== error ? { cause: error instanceof Error ? error.message : String(error) } : {}),
  };
}
