import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '@tally/protocol';
import type { GenaiPriceCatalog, GenaiPriceCatalogOptions } from '../../pricing/genai-price-catalog.js';
import { AppError } from '../../app-error.js';
import { threadEntry, threadStart } from '../../worker-thread-start.js';
import { usageStoreAccessTransfers, type UsageStoreAccess } from '../usage-store-access.js';
import type { OtlpIngested, OtlpIngestion, OtlpIngestJob } from './otlp-ingestion.js';

const ENTRY = threadEntry('otlp-ingest-thread-entry', import.meta.url);

/** What the ingest thread is started with. */
export interface OtlpIngestThreadData {
  /** Its own way to the node's usage store. */
  store: UsageStoreAccess;
}

/**
 * Main thread to ingest thread: the prices to use from now on (createGenaiPriceCatalog's
 * options); one export request to read; then whether its principal may add to its workspace
 * (nothing is stored before `allow`). Messages arrive in the order sent, so a request sent after
 * a change of prices is priced with the new ones.
 */
export type OtlpIngestMessage =
  | { type: 'prices'; snapshot: GenaiPriceCatalogOptions }
  | { type: 'ingest'; id: number; job: OtlpIngestJob }
  | { type: 'allow'; id: number }
  | { type: 'refuse'; id: number };

/** An error answered across the thread: its AppError's code and message (and the cause of an INTERNAL one, for the node's log). */
export interface OtlpIngestError {
  code: ErrorCode;
  message: string;
  details?: unknown;
  cause?: string;
}

/**
 * Ingest thread to main thread: a request's outcome, or news of the store for the node (what a
 * merged insert stored, for the metrics; a workspace's new records visible, for its dashboards;
 * a rollup that failed, for the log).
 */
export type OtlpIngestReport =
  | { type: 'done'; id: number; ok: true; ingested: OtlpIngested }
  | { type: 'done'; id: number; ok: false; error: OtlpIngestError }
  | { type: 'written'; workspaceId: string; inserted: number; duplicates: number }
  | { type: 'visible'; workspaceId: string }
  | { type: 'rollup-failed'; workspaceId: string; message: string };

export interface OtlpIngestThreadDeps {
  /** The node's prices; the thread prices with a snapshot of them, sent again when they change. */
  prices: Pick<GenaiPriceCatalog, 'pricingSnapshot'>;
  /** A new way to the node's usage store, for each start of the thread (a port is handed over). */
  storeAccess(): UsageStoreAccess;
  /** What a merged insert stored (the node's ingest metrics). */
  onWritten?(workspaceId: string, result: { inserted: number; duplicates: number }): void;
  /** New records of the workspace are in every read (the usage_changed announcement). */
  onVisible?(workspaceId: string): void;
  /** A rollup failed: its days stay stale until another insert touches them. */
  onRollupFailed?(workspaceId: string, error: Error): void;
}

/**
 * Export requests read and stored on a thread of their own, over its own connection to the store
 * (usage-store-access.ts). Decoding and mapping a 512-span request takes 15-30 ms of CPU, and its
 * rows, held until their merged insert is stored, were most of what the main isolate promoted
 * while an exporter pushed; on the event loop both stall every socket the node serves. Here the
 * main thread hands over the body and gets back a few counts: a request's data never enters its
 * heap (DECISIONS, session 21). The node's prices reach the thread as a snapshot, sent again with
 * the first request after they change (`prices.pricingSnapshot()` is a new object).
 *
 * The thread starts with the first request (most nodes never receive OTLP) and again after it
 * dies; requests it held when it died are answered SERVICE_UNAVAILABLE, which exporters retry
 * (rows it had not stored are lost with it, and retried by the exporter, which was not answered).
 */
export function createOtlpIngestThread(deps: OtlpIngestThreadDeps): OtlpIngestion {
  let worker: Worker | undefined;
  /** The snapshot the running thread prices with; none when it has not started. */
  let sentPrices: GenaiPriceCatalogOptions | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve(ingested: OtlpIngested): void; reject(error: unknown): void }>();

  function failPending(reason: string): void {
    for (const waiter of pending.values()) waiter.reject(new AppError('SERVICE_UNAVAILABLE', `The OTLP ingest thread stopped (${reason}); retry the export.`));
    pending.clear();
  }

  function onReport(report: OtlpIngestReport): void {
    switch (report.type) {
      case 'done': {
        const waiter = pending.get(report.id);
        if (!waiter) return;
        pending.delete(report.id);
        if (report.ok) waiter.resolve(report.ingested);
        else waiter.reject(appErrorFrom(report.error));
        return;
      }
      case 'written':
        deps.onWritten?.(report.workspaceId, { inserted: report.inserted, duplicates: report.duplicates });
        return;
      case 'visible':
        deps.onVisible?.(report.workspaceId);
        return;
      case 'rollup-failed':
        deps.onRollupFailed?.(report.workspaceId, new Error(report.message));
    }
  }

  function started(): Worker {
    if (worker) return worker;
    const start = threadStart(ENTRY, import.meta.url);
    const store = deps.storeAccess();
    const data: OtlpIngestThreadData = { store };
    const thread = new Worker(start.entry, { eval: start.eval, execArgv: start.execArgv, workerData: data, transferList: usageStoreAccessTransfers(store) });
    thread.on('message', onReport);
    thread.on('error', (error) => failPending(error.message));
    thread.on('exit', (code) => {
      if (worker === thread) {
        worker = undefined;
        sentPrices = undefined;
      }
      failPending(`exit code ${code}`);
    });
    // Idle, the thread does not keep the process alive; a request waiting on it does (its socket).
    thread.unref();
    worker = thread;
    return thread;
  }

  return {
    async ingest(job, allowed) {
      const thread = started();
      const snapshot = deps.prices.pricingSnapshot();
      if (snapshot !== sentPrices) {
        thread.postMessage({ type: 'prices', snapshot } satisfies OtlpIngestMessage);
        sentPrices = snapshot;
      }
      const id = nextId++;
      const done = new Promise<OtlpIngested>((resolve, reject) => pending.set(id, { resolve, reject }));
      // The body moves to the thread: the request's own buffer when it is that buffer whole (a
      // body of more than a few KB, gathered by the HTTP layer), else a copy the thread owns (a
      // small one is a view of Buffer's shared pool). The caller must not read it afterwards.
      const body = ownsItsBuffer(job.body) ? job.body : new Uint8Array(job.body);
      thread.postMessage({ type: 'ingest', id, job: { ...job, body } } satisfies OtlpIngestMessage, [body.buffer as ArrayBuffer]);
      allowed.then(
        () => thread.postMessage({ type: 'allow', id } satisfies OtlpIngestMessage),
        () => thread.postMessage({ type: 'refuse', id } satisfies OtlpIngestMessage),
      );
      const [authorized, outcome] = await Promise.allSettled([allowed, done]);
      // The check's own refusal is the answer (the thread answers a refused request with an error of its own).
      if (authorized.status === 'rejected') throw authorized.reason;
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    },
    async close() {
      const thread = worker;
      worker = undefined;
      sentPrices = undefined;
      if (thread) await thread.terminate();
      failPending('the node is closing');
    },
  };
}

function appErrorFrom(error: OtlpIngestError): AppError {
  const result = new AppError(error.code, error.message, error.details);
  if (error.cause !== undefined) result.cause = error.cause;
  return result;
}

/** True when the bytes are their ArrayBuffer whole, so moving that buffer moves nothing else. */
function ownsItsBuffer(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
