import { parentPort } from 'node:worker_threads';
import { isAppError } from '../../app-error.js';
import { lowerThisThreadPriority } from '../../background-thread-priority.js';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { readOtlpRequest } from './read-otlp-request.js';
import type { OtlpReaderMessage, OtlpReaderResponse } from './otlp-reader-thread.js';

/**
 * The OTLP reader thread (otlp-reader-thread.ts): reads export requests one after another, as they
 * come, pricing them with the catalog built from the node's latest snapshot (the same function
 * builds the node's own catalog from the same data, so both price alike), and answers each with
 * its rows or its typed error.
 */
const port = parentPort;
if (!port) throw new Error('otlp-reader-thread-entry runs as a worker thread');
// An export can wait a few milliseconds; a streamed answer should not: on a core both want, the
// event loop that streams people's answers goes first (issue 18's bystanders).
lowerThisThreadPriority();
let prices: PriceCatalog | undefined;
port.on('message', (message: OtlpReaderMessage) => {
  if (message.type === 'prices') {
    prices = createGenaiPriceCatalog(message.snapshot);
    return;
  }
  const { id, job } = message;
  // The node sends its prices before its first request; a request before them is a bug in the node.
  const read = prices ? readOtlpRequest(job, prices) : Promise.reject(new Error('no prices received before the first request'));
  read.then(
    (result) => port.postMessage({ id, ok: true, read: result } satisfies OtlpReaderResponse),
    (error: unknown) =>
      port.postMessage({
        id,
        ok: false,
        error: isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
      } satisfies OtlpReaderResponse),
  );
});
