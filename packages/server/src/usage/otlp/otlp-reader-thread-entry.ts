import { parentPort } from 'node:worker_threads';
import { isAppError } from '../../app-error.js';
import { readOtlpRequest } from './read-otlp-request.js';
import type { OtlpReaderRequest, OtlpReaderResponse } from './otlp-reader-thread.js';

/**
 * The OTLP reader thread (otlp-reader-thread.ts): reads export requests one after another, as they
 * come, and answers each with its records or its typed error.
 */
const port = parentPort;
if (!port) throw new Error('otlp-reader-thread-entry runs as a worker thread');
port.on('message', (request: OtlpReaderRequest) => {
  readOtlpRequest(request.job).then(
    (read) => port.postMessage({ id: request.id, ok: true, read } satisfies OtlpReaderResponse),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        error: isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
      } satisfies OtlpReaderResponse),
  );
});
