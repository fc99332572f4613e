import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { isAppError } from '../../app-error.js';
import { readOtlpRequest } from './read-otlp-request.js';
import type { OtlpReaderRequest, OtlpReaderResponse } from './otlp-reader-thread.js';

/** Nice value of the reader thread (0 normal, 19 lowest). */
const READER_NICE = 10;

/**
 * The OTLP reader thread (otlp-reader-thread.ts): reads export requests one after another, as they
 * come, and answers each with its records or its typed error.
 */
const port = parentPort;
if (!port) throw new Error('otlp-reader-thread-entry runs as a worker thread');
// Reading exports is background work: when the cores are busy, the event loop (everyone's sockets)
// and the run threads go first. On Linux the nice value is per thread, and raising it needs no
// privilege; elsewhere it would apply to the whole process, so it is left alone there.
if (process.platform === 'linux') {
  try {
    os.setPriority(READER_NICE);
  } catch {
    // a sandbox that refuses it: the thread runs at the process's priority
  }
}
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
