import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Bus } from './bus/bus.js';
import type { Config } from './config/config.js';
import type { Pipeline } from './runs/run-context.js';
import type { RunEventLog } from './runs/run-event-log.js';
import type { RunMetrics } from './runs/run-metrics.js';
import type { RunThreadMetricsSink } from './runs/run-thread-metrics.js';
import { createRunThreads } from './runs/run-threads.js';
import { createRunWorker, type RunWorker } from './runs/run-worker.js';
import type { Db } from './store/database.js';
import { threadEntry } from './worker-thread-start.js';

/** What a run worker on this thread is built from: this thread's connections and agent pipeline. */
export interface RunWorkerParts {
  config: Config;
  db: Db;
  leaseDb: Db | undefined;
  bus: Bus;
  eventLog: RunEventLog;
  pipeline: Pipeline;
  logger: Logger;
  /** The lease owner: the node's id, or `<node id>/<index>` on a run thread. */
  nodeId: string;
  concurrency: number;
  metrics?: RunMetrics | undefined;
  onActiveChange?: (() => void) | undefined;
}

/**
 * The one way a run worker is built, on the main thread and on each run thread alike (the
 * thread's entry, run-thread-entry.ts beside this file, calls it with its own connections).
 */
export function createConfiguredRunWorker(parts: RunWorkerParts): RunWorker {
  const { config } = parts;
  return createRunWorker({
    db: parts.db,
    leaseDb: parts.leaseDb,
    metrics: parts.metrics,
    bus: parts.bus,
    eventLog: parts.eventLog,
    pipeline: parts.pipeline,
    logger: parts.logger,
    concurrency: parts.concurrency,
    nodeId: parts.nodeId,
    leaseMs: config.runLeaseMs,
    eventFlushMs: config.eventFlushMs,
    onActiveChange: parts.onActiveChange,
  });
}

/** Built beside this file (and bundled beside main.js): see worker-thread-start.ts. */
const RUN_THREAD_ENTRY = threadEntry('run-thread-entry', import.meta.url);

/**
 * The node's run worker: on run threads when TALLY_RUN_THREADS asks for them, else on this
 * thread. A run thread writes the SQL log over its own connections, so a log the caller chose
 * (`eventLogIsCustom`: a bench's in-memory or counting log) keeps the runs on this thread.
 */
export function createNodeRunWorker(
  parts: Omit<RunWorkerParts, 'concurrency' | 'metrics'> & {
    eventLogIsCustom: boolean;
    databaseSchema: string | undefined;
    databasePort: (() => MessagePort) | undefined;
    /** The node's metrics: the runs on this thread report to `runs`; run threads send theirs here. */
    metrics: RunThreadMetricsSink | undefined;
  },
): RunWorker {
  const { config } = parts;
  if (config.runThreads > 0 && !parts.eventLogIsCustom) {
    return createRunThreads({
      entry: RUN_THREAD_ENTRY,
      config,
      databaseSchema: parts.databaseSchema,
      nodeId: parts.nodeId,
      count: config.runThreads,
      hub: config.redisUrl ? undefined : parts.bus,
      databasePort: parts.databasePort,
      metrics: parts.metrics,
      logger: parts.logger,
    });
  }
  return createConfiguredRunWorker({ ...parts, metrics: parts.metrics?.runs, concurrency: config.workerConcurrency });
}
