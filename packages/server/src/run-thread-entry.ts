import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pino from 'pino';
import { createAgentServices } from './agent-services.js';
import type { Bus } from './bus/bus.js';
import { createRedisBus } from './bus/redis-bus.js';
import { createPortBus } from './bus/thread-bus-link.js';
import { openDatabase } from './store/database.js';
import { createOutageLog } from './logging/outage-log.js';
import { createSqlRunEventLog } from './runs/run-event-log.js';
import { forwardRunThreadMetrics } from './runs/run-thread-metrics.js';
import { countEventLogWrites } from './metrics/instrument.js';
import type { RunThreadData, RunThreadReport } from './runs/run-thread-messages.js';
import { createConfiguredRunWorker } from './run-worker-factory.js';
import { createQuerySpans } from './telemetry/query-spans.js';
import { startTracing } from './telemetry/tracing.js';

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
      preparedStatements: config.databasePreparedStatements,
      ...(config.databasePoolMax === undefined ? {} : { pool: { max: config.databasePoolMax } }),
      onConnectionError: createOutageLog(logger, 'postgresql').failed,
    });
    const traced = config.tracing ? db.withPlugin(createQuerySpans('postgresql')) : db;
    const bus: Bus = data.busPort ? createPortBus(data.busPort) : await createRedisBus({ url: config.redisUrl!, prefix: config.redisPrefix, logger });
    // Counted by the main thread's metrics, the registry GET /metrics serves.
    const metrics = forwardRunThreadMetrics((metric) => report({ type: 'metric', metric }));
    const agents = await createAgentServices({ config, db: traced, bus, logger, onLlmCall: metrics.llmCall });
    // The main thread's `active` (the metrics' gauge, tests, the health of a node): told once per
    // turn of the event loop in which runs started or ended, so a scrape right after a run's first
    // event counts it (every 100 ms, it once did not).
    let told = 0;
    let tellDue = false;
    const tellActive = () => {
      if (tellDue) return;
      tellDue = true;
      setImmediate(() => {
        tellDue = false;
        if (worker.active !== told) report({ type: 'active', count: (told = worker.active) });
      });
    };
    const worker = createConfiguredRunWorker({
      config,
      db: traced,
      leaseDb,
      bus,
      eventLog: countEventLogWrites(createSqlRunEventLog(db), metrics),
      pipeline: agents.pipeline,
      metrics: metrics.runs,
      logger,
      nodeId: data.workerId,
      concurrency: data.concurrency,
      onActiveChange: tellActive,
    });
    await worker.start();
    stop = async () => {
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
