import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pino from 'pino';
import { createAgentServices } from '../agent-services.js';
import type { Bus } from '../bus/bus.js';
import { createRedisBus } from '../bus/redis-bus.js';
import { createPortBus } from '../bus/thread-bus-link.js';
import type { Config } from '../config/config.js';
import { openDatabase } from '../store/database.js';
import { createOutageLog } from '../logging/outage-log.js';
import { createSqlRunEventLog } from './run-event-log.js';
import { createRunWorker } from './run-worker.js';
import { createQuerySpans } from '../telemetry/query-spans.js';
import { startTracing } from '../telemetry/tracing.js';

/** What the main thread hands a run thread (see run-threads.ts). */
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
export type RunThreadReport = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'active'; count: number } | { type: 'stopped' };

/**
 * A run thread: claims and runs agent pipelines with connections of its own (database, bus, LLM),
 * so the main thread keeps its event loop for sockets and HTTP. It is a run worker like the main
 * thread's, with its own lease owner id; a thread that dies leaves its runs to expire and be taken
 * over like a dead node's.
 */
async function main(port: MessagePort, data: RunThreadData): Promise<void> {
  const { config } = data;
  const logger = pino({ level: config.logLevel }).child({ runThread: data.index });
  const report = (message: RunThreadReport) => port.postMessage(message);
  // A thread has its own OpenTelemetry globals: its runs' spans are exported from here.
  const tracing = config.tracing ? startTracing(config.tracing, { instanceId: data.workerId }) : null;
  let stop: (() => Promise<void>) | undefined;
  port.on('message', (message: { type: 'stop' }) => {
    if (message.type !== 'stop') return;
    // Stopping before the start finished waits for it, so nothing is left open.
    void (async () => {
      while (!stop) await new Promise((r) => setTimeout(r, 20));
      await stop();
      report({ type: 'stopped' });
    })();
  });
  try {
    const { db, leaseDb } = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      schema: data.databaseSchema,
      pglitePort: data.databasePort,
      onConnectionError: createOutageLog(logger, 'postgresql').failed,
    });
    const traced = config.tracing ? db.withPlugin(createQuerySpans('postgresql')) : db;
    const bus: Bus = data.busPort ? createPortBus(data.busPort) : await createRedisBus({ url: config.redisUrl!, prefix: config.redisPrefix, logger });
    const agents = await createAgentServices({ config, db: traced, bus, logger });
    const worker = createRunWorker({
      db: traced,
      bus,
      eventLog: createSqlRunEventLog(db),
      leaseDb,
      pipeline: agents.pipeline,
      logger,
      concurrency: data.concurrency,
      nodeId: data.workerId,
      leaseMs: config.runLeaseMs,
      eventFlushMs: config.eventFlushMs,
    });
    await worker.start();
    // The main thread's `active` (tests and the health of a node), told when it changed.
    let told = 0;
    const activity = setInterval(() => {
      if (worker.active !== told) report({ type: 'active', count: (told = worker.active) });
    }, 100);
    activity.unref();
    stop = async () => {
      clearInterval(activity);
      await worker.stop();
      await agents.close();
      await bus.close();
      await leaseDb?.destroy();
      await db.destroy();
      await tracing?.shutdown();
    };
    report({ type: 'ready' });
  } catch (error) {
    logger.error({ err: error }, 'the run thread could not start');
    report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    stop = async () => undefined;
  }
}

if (parentPort) void main(parentPort, workerData as RunThreadData);
