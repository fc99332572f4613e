import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import pino, { type Logger } from 'pino';
import { createAccessTokens } from './auth/access-tokens.js';
import { createAuthService } from './auth/auth-service.js';
import { resolveTokenSecret } from './auth/token-secret.js';
import { createWsTickets } from './auth/ws-tickets.js';
import type { Bus } from './bus/bus.js';
import { createMemoryBus } from './bus/memory-bus.js';
import { createRedisBus } from './bus/redis-bus.js';
import type { Config } from './config/config.js';
import { createWsAuthenticator, selectSubprotocol } from './gateway/ws-authenticator.js';
import { registerWsGateway, type GatewayControl } from './gateway/ws-gateway.js';
import { authRoutes } from './http/auth-routes.js';
import { createRequireUser } from './http/authenticate.js';
import { registerErrorHandler } from './http/error-handler.js';
import { healthRoutes } from './http/health-routes.js';
import { runRoutes } from './http/run-routes.js';
import { threadRoutes } from './http/thread-routes.js';
import { usageRoutes } from './http/usage-routes.js';
import { webRoutes } from './http/web-routes.js';
import type { EphemeralStore } from './kv/ephemeral-store.js';
import { createMemoryEphemeralStore } from './kv/memory-ephemeral-store.js';
import { createRedisEphemeralStore } from './kv/redis-ephemeral-store.js';
import { createSupervisor } from './agents/supervisor.js';
import { createLlm } from './llm/create-llm.js';
import { createGenaiPriceCatalog } from './pricing/genai-price-catalog.js';
import { catalogOptions, loadPriceSettings } from './pricing/price-settings.js';
import { createRunService, type RunService } from './runs/run-service.js';
import { createRunWorker, type RunWorker } from './runs/run-worker.js';
import { openDatabase, type Db, type DatabaseEngine } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { createThreadService } from './threads/thread-service.js';
import { createUsageIngester, type UsageIngester } from './usage/ingest-usage.js';
import { createClickHouseUsageStore, type ClickHouseUsageStore } from './usage/clickhouse-usage-store.js';
import { createOwnUsageRecorder } from './usage/own-usage-recorder.js';
import { createSqlUsageStore } from './usage/sql-usage-store.js';
import type { UsageStore } from './usage/usage-store.js';
import type { PriceCatalog } from './pricing/price-catalog.js';

export const VERSION = '0.1.0';

/** Everything a node is made of, built once here and passed down explicitly. */
export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  engine: DatabaseEngine;
  bus: Bus;
  kv: EphemeralStore;
  /** The SQL store over `db`, or the ClickHouse one (which holds its own connections) when configured. */
  usageStore: UsageStore | ClickHouseUsageStore;
  prices: PriceCatalog;
  ingester: UsageIngester;
  runs: RunService;
  worker: RunWorker;
  nodeId: string;
}

export interface BuildOptions {
  logger?: Logger;
  /** Postgres schema for this instance (tests give each file its own). */
  databaseSchema?: string;
  /** Whether this node runs agent workers (default true). */
  runWorkers?: boolean;
}

export async function createServices(config: Config, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const schema = options.databaseSchema ?? config.databaseSchema;
  const { db, engine } = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema });
  await migrateToLatest(db, schema);
  const bus = config.redisUrl ? await createRedisBus({ url: config.redisUrl, prefix: config.redisPrefix }) : createMemoryBus();
  const kv = config.redisUrl
    ? await createRedisEphemeralStore({ url: config.redisUrl, prefix: config.redisPrefix })
    : createMemoryEphemeralStore();
  const usageStore = config.clickhouseUrl ? await createClickHouseUsageStore({ url: config.clickhouseUrl }) : createSqlUsageStore(db);
  // The admin's overrides and discounts, as they are at start (see pricing/price-settings.ts).
  const prices = createGenaiPriceCatalog(catalogOptions(await loadPriceSettings(db)));
  const llm = createLlm(config.llm, { recordCall: createOwnUsageRecorder({ store: usageStore, prices, logger }) });
  const pipeline = createSupervisor({ usage: usageStore, prices, llm });
  const nodeId = `node-${crypto.randomUUID()}`;
  return {
    config,
    logger,
    db,
    engine,
    bus,
    kv,
    usageStore,
    prices,
    ingester: createUsageIngester({ store: usageStore, prices }),
    runs: createRunService({ db, bus }),
    worker: createRunWorker({ db, bus, pipeline, logger, concurrency: config.workerConcurrency, nodeId, leaseMs: config.runLeaseMs }),
    nodeId,
  };
}

export interface App {
  app: FastifyInstance;
  services: Services;
  gateway: GatewayControl;
  /** Stops workers, closes sockets, then the stores; safe to call twice. */
  close(): Promise<void>;
}

/** The composition root: one node's HTTP API, WebSocket gateway and run workers. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const services = await createServices(config, options);
  const { db, bus, kv, logger } = services;
  const tokens = createAccessTokens({ secret: await resolveTokenSecret(db, config.jwtSecret), ttlSeconds: config.accessTokenTtlSeconds });
  const tickets = createWsTickets({ store: kv, ttlSeconds: config.ws.ticketTtlSeconds });
  const auth = createAuthService({ db, tokens, refreshTtlSeconds: config.refreshTokenTtlSeconds });
  const requireUser = createRequireUser(tokens);

  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1024 * 1024,
    // Per-request lines would drown a busy node's log; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true, });
  app.decorateRequest('auth', null);
  registerErrorHandler(app);
  await app.register(websocket, {
    options: { maxPayload: config.ws.maxFrameBytes, handleProtocols: (protocols) => selectSubprotocol(protocols) },
  });
  await app.register(healthRoutes, {
    version: VERSION,
    engines: { database: services.engine, bus: config.redisUrl ? 'redis' : 'memory', usage: config.clickhouseUrl ? 'clickhouse' : 'sql', llm: config.llm.kind },
  });
  await app.register(authRoutes, { auth, tickets, requireUser });
  const threads = createThreadService({ db });
  await app.register(threadRoutes, { threads, requireUser });
  await app.register(runRoutes, { runs: services.runs, requireUser });
  await app.register(usageRoutes, { ingester: services.ingester, store: services.usageStore, requireUser });
  const gateway = registerWsGateway(app, {
    db,
    bus,
    runs: services.runs,
    threads,
    logger,
    heartbeatMs: config.ws.heartbeatMs,
    limits: {
      floodFramesPerSecond: config.ws.floodFramesPerSecond,
      maxSubscriptions: 64,
      maxWatchedThreads: 32,
      send: { softBytes: config.ws.sendSoftBytes, hardBytes: config.ws.sendHardBytes },
    },
    authenticate: createWsAuthenticator({ tokens, tickets }),
  });
  await app.register(webRoutes, { dir: config.webDir ?? defaultWebDir() });

  if (options.runWorkers !== false) await services.worker.start();

  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    gateway,
    close: () =>
      (closing ??= (async () => {
        // Runs go back to the queue for other nodes, then clients are told to reconnect elsewhere.
        await services.worker.stop();
        await gateway.closeAll();
        await app.close();
        await bus.close();
        await kv.close();
        if ('close' in services.usageStore) await services.usageStore.close();
        await db.destroy();
      })()),
  };
}

function defaultWebDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}
