import { buildApp, VERSION } from '../app.js';
import { startTracing } from '../telemetry/tracing.js';
import type { Config } from '../config/config.js';
import { advertiseDataFolder } from '../store/data-folder-lock.js';

const LISTEN_BACKLOG = 8192;

/** Runs one node until SIGTERM or SIGINT, then closes it gracefully. */
export async function serveCommand(config: Config): Promise<number> {
  const { app, services, close, metricsUrl } = await buildApp(config);
  // Spans carry the node id as the service instance: a trace shows which node did what.
  const tracing = config.tracing ? startTracing(config.tracing, { version: VERSION, instanceId: services.nodeId }) : null;
  // Room for a reconnect storm (thousands of clients at once) to queue rather than be refused;
  // the kernel caps it at net.core.somaxconn.
  const address = await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
  // A CLI command that finds the data folder held is told where this server is.
  if (services.engine === 'pglite') await advertiseDataFolder(config.dataDir, address.replace('0.0.0.0', '127.0.0.1'));
  services.logger.info(
    { address, nodeId: services.nodeId, database: services.engine, bus: config.redisUrl ? 'redis' : 'memory', llm: config.llm.kind, metrics: metricsUrl },
    `Tally is up at ${address.replace('0.0.0.0', '127.0.0.1')}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      services.logger.info({ signal }, 'shutting down');
      void close()
        .then(() => tracing?.shutdown())
        .catch((error: unknown) => services.logger.warn({ err: error }, 'sending the last spans failed'))
        .finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
