import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '@tally/protocol';
import type { GenaiPriceCatalog, GenaiPriceCatalogOptions } from '../../pricing/genai-price-catalog.js';
import { AppError } from '../../app-error.js';
import { threadEntry, threadStart } from '../../worker-thread-start.js';
import type { OtlpRequestJob, OtlpRequestRead } from './read-otlp-request.js';

const ENTRY = threadEntry('otlp-reader-thread-entry', import.meta.url);

/**
 * Main thread to reader thread: the prices to use from now on (createGenaiPriceCatalog's
 * options), or one export request to read with them. Messages arrive in the order sent, so a
 * request sent after a change of prices is priced with the new ones.
 */
export type OtlpReaderMessage = { type: 'prices'; snapshot: GenaiPriceCatalogOptions } | { type: 'read'; id: number; job: OtlpRequestJob };

/** Reader thread to main thread: the request read, or its typed error. */
export type OtlpReaderResponse = { id: number; ok: true; read: OtlpRequestRead } | { id: number; ok: false; error: { code: ErrorCode; message: string } };

/** Reads export requests (read-otlp-request.ts) somewhere; AppError on bad input, as readOtlpRequest throws. */
export interface OtlpRequestReader {
  /** The job's body may be moved away (detached): the caller hands it over. */
  read(job: OtlpRequestJob): Promise<OtlpRequestRead>;
  close(): Promise<void>;
}

/**
 * Export requests read on a thread of their own. Decoding and mapping a 512-span request takes
 * 15-30 ms of CPU; on the event loop that is a 15-30 ms stall of every socket the node serves, once
 * per request, so other people's streams stutter while an exporter pushes. The thread also prices,
 * keys and serialises the records into their store's rows (prepare-otlp-records.ts): the main
 * thread hands over the bytes and takes back a few strings, and never holds the records as
 * objects (~100 MB of them surviving until their insert, while an exporter pushed, made every
 * scavenge of the main isolate 17-24 ms). The node's prices reach the thread as a snapshot, sent
 * again with the first request after they change (`prices.pricingSnapshot()` is a new object).
 * The thread starts with the first request (most nodes never receive OTLP) and again after it
 * dies; requests it held when it died are answered SERVICE_UNAVAILABLE, which exporters retry.
 */
export function createOtlpReaderThread(prices: Pick<GenaiPriceCatalog, 'pricingSnapshot'>): OtlpRequestReader {
  let worker: Worker | undefined;
  /** The snapshot the running thread prices with; none when it has not started. */
  let sentPrices: GenaiPriceCatalogOptions | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve(read: OtlpRequestRead): void; reject(error: unknown): void }>();

  function failPending(reason: string): void {
    for (const waiter of pending.values()) waiter.reject(new AppError('SERVICE_UNAVAILABLE', `The OTLP reader stopped (${reason}); retry the export.`));
    pending.clear();
  }

  function started(): Worker {
    if (worker) return worker;
    const start = threadStart(ENTRY, import.meta.url);
    const thread = new Worker(start.entry, { eval: start.eval, execArgv: start.execArgv });
    thread.on('message', (response: OtlpReaderResponse) => {
      const waiter = pending.get(response.id);
      if (!waiter) return;
      pending.delete(response.id);
      if (response.ok) waiter.resolve(response.read);
      else waiter.reject(new AppError(response.error.code, response.error.message));
    });
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
    read(job) {
      const thread = started();
      const snapshot = prices.pricingSnapshot();
      if (snapshot !== sentPrices) {
        thread.postMessage({ type: 'prices', snapshot } satisfies OtlpReaderMessage);
        sentPrices = snapshot;
      }
      const id = nextId++;
      return new Promise<OtlpRequestRead>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // The body moves to the thread: the request's own buffer when it is that buffer whole (a
        // body of more than a few KB, gathered by the HTTP layer), else a copy the thread owns (a
        // small one is a view of Buffer's shared pool). The caller must not read it afterwards.
        const body = ownsItsBuffer(job.body) ? job.body : new Uint8Array(job.body);
        thread.postMessage({ type: 'read', id, job: { ...job, body } } satisfies OtlpReaderMessage, [body.buffer as ArrayBuffer]);
      });
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

/** True when the bytes are their ArrayBuffer whole, so moving that buffer moves nothing else. */
function ownsItsBuffer(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
