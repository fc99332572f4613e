import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import type { RunThreadMetric } from './run-thread-metrics.js';

/** What the main thread hands a run thread (see run-threads.ts; the thread's entry is src/run-thread-entry.ts). */
export interface RunThreadData {
  config: Config;
  databaseSchema: string | undefined;
  /** The thread's own lease owner: `<node id>/<index>`. */
  workerId: string;
  index: number;
  concurrency: number;
  /** The main thread's bus, when the node has no Redis. */
  busPort: MessagePort | undefined;
  /** The embedded engine: this thread's port to the main thread's database thread. */
  databasePort: MessagePort | undefined;
}

/** Messages a run thread sends to the main thread. */
export type RunThreadReport =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'active'; count: number }
  | { type: 'metric'; metric: RunThreadMetric }
  | { type: 'stopped' };
