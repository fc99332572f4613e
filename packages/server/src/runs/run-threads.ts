import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { serveBusPort } from '../bus/thread-bus-link.js';
import type { Config } from '../config/config.js';
import type { RunThreadData, RunThreadReport } from './run-thread-messages.js';
import type { RunWorker } from './run-worker.js';
import { countRunThreadMetric, type RunThreadMetricsSink } from './run-thread-metrics.js';
import { threadStart } from '../worker-thread-start.js';

export interface RunThreadsOptions {
  /** The run thread's entry module (src/run-thread-entry.ts, or its build beside main.js). */
  entry: URL;
  config: Config;
  databaseSchema: string | undefined;
  nodeId: string;
  count: number;
  /** The main thread's bus, served to the threads when the node has no Redis (else each has its own). */
  hub: Bus | undefined;
  /** The embedded engine: a new port to its database thread, one per run thread. */
  databasePort: (() => MessagePort) | undefined;
  /** Counts what the threads' runs report (the node's metrics); undefined: not counted. */
  metrics: RunThreadMetricsSink | undefined;
  logger: Logger;
}

const RESTART_DELAY_MS = 1_000;

/**
 * The node's run workers on threads of their own (TALLY_RUN_THREADS): the agent pipelines, their
 * LLM streams and their database work leave the main thread's event loop to the sockets, and the
 * node uses more than one core. Each thread claims from the same queue as any node would, with
 * `<node id>/<index>` as its lease owner. A thread that dies is started again; the runs it held are
 * taken over when their leases expire, as after a node's death.
 */
export function createRunThreads(options: RunThreadsOptions): RunWorker {
  const { logger } = options;
  const perThread = Math.ceil(options.config.workerConcurrency / options.count);
  const threads: Array<{ worker: Worker; active: number; exited: boolean; release: () => Promise<void> } | undefined> = [];
  let stopping = false;
  let stopped: Promise<void> | undefined;

  function spawn(index: number): Promise<void> {
    const link = options.hub ? new MessageChannel() : undefined;
    const databasePort = options.databasePort?.();
    const data: RunThreadData = {
      config: options.config,
      databaseSchema: options.databaseSchema,
      workerId: `${options.nodeId}/${index}`,
      index,
      concurrency: perThread,
      busPort: link?.port2,
      databasePort,
    };
    const start = threadStart(options.entry, import.meta.url);
    const worker = new Worker(start.entry, {
      eval: start.eval,
      execArgv: start.execArgv,
      workerData: data,
      transferList: [...(link ? [link.port2] : []), ...(databasePort ? [databasePort] : [])],
    });
    const thread = { worker, active: 0, exited: false, release: link && options.hub ? serveBusPort(options.hub, link.port1) : async () => undefined };
    threads[index] = thread;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (report: RunThreadReport) => {
        if (report.type === 'ready') {
          started = true;
          resolve();
        } else if (report.type === 'failed') reject(new Error(`run thread ${index} could not start: ${report.message}`));
        else if (report.type === 'active') thread.active = report.count;
        else if (report.type === 'metric' && options.metrics) countRunThreadMetric(options.metrics, report.metric);
      });
      worker.on('error', (error) => logger.error({ err: error, runThread: index }, 'a run thread failed'));
      worker.on('exit', (code) => {
        thread.exited = true;
        void thread.release();
        link?.port1.close();
        thread.active = 0;
        if (!started) return reject(new Error(`run thread ${index} exited (${code}) before it started`));
        if (stopping) return;
        logger.error({ runThread: index, code }, 'a run thread stopped; starting it again (its runs are taken over when their leases expire)');
        setTimeout(() => {
          if (!stopping) spawn(index).catch((error) => logger.error({ err: error, runThread: index }, 'a run thread could not start again'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  async function stopThread(thread: { worker: Worker; exited: boolean }): Promise<void> {
    if (thread.exited) return;
    const done = new Promise<void>((resolve) => {
      thread.worker.on('message', (report: RunThreadReport) => report.type === 'stopped' && resolve());
      thread.worker.once('exit', () => resolve());
    });
    thread.worker.postMessage({ type: 'stop' });
    await done;
    await thread.worker.terminate();
  }

  return {
    get active() {
      return threads.reduce((sum, t) => sum + (t?.active ?? 0), 0);
    },
    async start() {
      const started = await Promise.allSettled(Array.from({ length: options.count }, (_, i) => spawn(i)));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        stopping = true;
        await Promise.allSettled(threads.map((t) => t && stopThread(t)));
        throw failed.reason;
      }
    },
    stop() {
      stopping = true;
      return (stopped ??= Promise.allSettled(threads.map((t) => t && stopThread(t))).then(() => undefined));
    },
  };
}
