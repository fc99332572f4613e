import { buildApp } from '../app.js';
import type { Config } from '../config/config.js';

const LISTEN_BACKLOG = 8192;

/** Runs one node until SIGTERM or SIGINT, then closes it gracefully. */
export async function serveCommand(config: Config): Promise<number> {
  const { app, services, close } = await buildApp(config);
  // Room for a reconnect storm (thousands of clients at once) to queue rather than be refused;
  // the kernel caps it at net.core.somaxconn.
  const address = await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
  services.logger.info(
    { address, nodeId: services.nodeId, database: services.engine, bus: config.redisUrl ? 'redis' : 'memory', llm: config.llm.kind },
    `Tally is up at ${address.replace('0.0.0.0', '127.0.0.1')}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      services.logger.info({ signal }, 'shutting down');
      void close().finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
