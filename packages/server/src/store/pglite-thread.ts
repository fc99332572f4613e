import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { PostgresPool } from 'kysely';
import { threadEntry, threadStart } from '../worker-thread-start.js';
import type { PgliteThreadData } from './pglite-thread-entry.js';
import { createPglitePortPool } from './pglite-port-pool.js';
import type { PgliteControl, PgliteLane, PgliteReport } from './pglite-thread-protocol.js';

const ENTRY = threadEntry('pglite-thread-entry', import.meta.url);

export interface PgliteThread {
  /** The pool of this thread (Kysely's Postgres dialect over a port to the database thread). */
  pool: PostgresPool;
  /** A new port to the database thread, for another thread's pool (a run thread's: the background lane). */
  connectPort(lane?: PgliteLane): MessagePort;
}

/**
 * Starts the embedded engine's database thread (pglite-thread-entry.ts) on the PGlite folder
 * `dir`. Ending the pool closes the database after every query already asked for, then the thread.
 */
export async function startPgliteThread(dir: string): Promise<PgliteThread> {
  const start = threadStart(ENTRY, import.meta.url);
  const data: PgliteThreadData = { dir };
  const worker = new Worker(start.entry, { eval: start.eval, execArgv: start.execArgv, workerData: data });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onReport = (report: PgliteReport) => {
      if (report.type === 'ready') resolve();
      else if (report.type === 'failed') reject(new Error(`the embedded database could not open ${dir}: ${report.message}`));
    };
    worker.on('message', onReport);
    worker.once('error', reject);
    void exited.then(() => reject(new Error('the embedded database thread stopped before it opened')));
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  // The database thread lives as long as a port to it does; the process is kept alive by the
  // ports while answers are awaited, not by the thread.
  worker.unref();

  function connectPort(lane: PgliteLane = 'background'): MessagePort {
    const channel = new MessageChannel();
    worker.postMessage({ type: 'connect', port: channel.port2, lane } satisfies PgliteControl, [channel.port2]);
    return channel.port1;
  }

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (report: PgliteReport) => report.type === 'closed' && resolve());
        void exited.then(resolve);
      });
      worker.ref();
      worker.postMessage({ type: 'close' } satisfies PgliteControl);
      await closed;
      await worker.terminate();
    })();
    return closing;
  }

  return { pool: createPglitePortPool(connectPort('interactive'), close), connectPort };
}

/** A pool over a port given by another thread (a run thread's own pool); ending it closes only the port. */
export function pglitePoolOverPort(port: MessagePort): PostgresPool {
  return createPglitePortPool(port, async () => port.close());
}
