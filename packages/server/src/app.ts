import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { createLogger } from './logging/create-logger.js';
import { createOutageLog } from './logging/outage-log.js';
import { createTallyMetrics, type TallyMetrics } from './metrics/tally-metrics.js';
import { countEventLogWrites, countIngestedRows, measureDeliveryLag } from './metrics/instrument.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { registerRequestLog } from './http/request-log.js';
import { createAccessTokens } from './auth/access-tokens.js';
import { createAuthService } from './auth/auth-service.js';
import { announceFirstAdminSetup, createFirstAdminSetup } from './auth/first-admin-setup.js';
import { reachableBeyondLoopback } from './config/network-exposure.js';
import { createPasswordPolicy } from './auth/password-policy.js';
import { createSessionService, withSessionCheck } from './auth/session-service.js';
import { createSessionStandingCache } from './auth/session-standing-cache.js';
import { createApiKeyVerificationCache } from './auth/api-key-cache.js';
import cookie from '@fastify/cookie';
import { createOriginPolicy } from './http/origin-policy.js';
import { trustProxyOption } from './http/client-info.js';
import { registerSecurity } from './http/security-plugin.js';
import { createFixedWindowLimit } from './limits/fixed-window-limit.js';
import { createLoginThrottle } from './limits/login-throttle.js';
import { resolveTokenSecret } from './auth/token-secret.js';
import { createWsTickets } from './auth/ws-tickets.js';
import type { Bus } from './bus/bus.js';
import { createMemoryBus } from './bus/memory-bus.js';
import { createRedisBus } from './bus/redis-bus.js';
import type { Config } from './config/config.js';
import { createCredentialCheck, createWsAuthenticator, selectSubprotocol } from './gateway/ws-authenticator.js';
import { registerWsGateway, type GatewayControl } from './gateway/ws-gateway.js';
import { authRoutes } from './http/auth-routes.js';
import { oidcRoutes } from './http/oidc-routes.js';
import { createOidcAccounts } from './auth/oidc-accounts.js';
import { createOidcLogin } from './auth/oidc-login.js';
import { createAuthenticator } from './http/authenticate.js';
import { registerErrorHandler } from './http/error-handler.js';
import { createQuerySpans } from './telemetry/query-spans.js';
import { registerRequestSpans } from './telemetry/request-spans.js';
import { healthRoutes } from './http/health-routes.js';
import { createLlmInUse } from './llm/llm-in-use.js';
import { runRoutes } from './http/run-routes.js';
import { threadRoutes } from './http/thread-routes.js';
import { feedbackRoutes } from './http/feedback-routes.js';
import { usageRoutes } from './http/usage-routes.js';
import { otlpRoutes } from './http/otlp-routes.js';
import { createSqlUsageStore } from './usage/sql/sql-usage-store.js';
import type { UsageStore } from './usage/usage-store.js';
import type { PgliteLane } from './store/pglite-thread-protocol.js';
import { usageExplorerRoutes } from './http/usage-explorer-routes.js';
import { reconciliationRoutes } from './http/reconciliation-routes.js';
import { createReconciliationService } from './reconciliation/reconciliation-service.js';
import { connectorRoutes } from './http/connector-routes.js';
import { createAdminKeyCipher } from './connectors/admin-key-cipher.js';
import { resolveConnectorKey } from './connectors/connector-key-source.js';
import { createConnectorService } from './connectors/connector-service.js';
import { startConnectorScheduler, type ConnectorScheduler } from './connectors/connector-scheduler.js';
import { FAILURE_RETRY_MS } from './connectors/connector-sync.js';
import { createProviderClients } from './connectors/provider-clients.js';
import { DEFAULT_RETRY_POLICY } from './connectors/provider-http.js';
import { webRoutes } from './http/web-routes.js';
import type { EphemeralStore } from './kv/ephemeral-store.js';
import { createMemoryEphemeralStore } from './kv/memory-ephemeral-store.js';
import { createRedisEphemeralStore } from './kv/redis-ephemeral-store.js';
import { createUserAdmin } from './admin/user-admin.js';
import { createAuditLog } from './audit/audit-log.js';
import { createAccountDeletion } from './auth/account-deletion.js';
import { accountRoutes } from './http/account-routes.js';
import { createSecurityEventRecorder } from './audit/security-event-recorder.js';
import { createAccounts } from './auth/accounts.js';
import { createApiKeys } from './auth/api-keys.js';
import { createPasswordResets } from './auth/password-resets.js';
import { adminRoutes } from './http/admin-routes.js';
import { priceRoutes } from './http/price-routes.js';
import { createRepriceJobs } from './pricing/reprice-jobs.js';
import { apiKeyRoutes } from './http/api-key-routes.js';
import { workspaceRoutes } from './http/workspace-routes.js';
import { createInvitationMailer, INVITATION_MAILS_PER_HOUR } from './workspaces/invitation-mailer.js';
import { watchMembershipChanges } from './workspaces/membership-changes.js';
import { createWorkspaceGuard } from './http/workspace-guard.js';
import { createWorkspaceInvitations } from './workspaces/workspace-invitations.js';
import { createWorkspaceService } from './workspaces/workspace-service.js';
import { passwordResetRoutes } from './http/password-reset-routes.js';
import { registerRouteAccess } from './http/route-access.js';
import { loadPriceSettings, removePriceOverride, setPriceOverride } from './pricing/price-settings.js';
import { createSqlRunEventLog, type RunEventLog } from './runs/run-event-log.js';
import { createRunService, type RunService } from './runs/run-service.js';
import type { RunWorker } from './runs/run-worker.js';
import { createNodeRunWorker } from './run-worker-factory.js';
import { openDatabase, type Db, type DatabaseEngine } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { createThreadService } from './threads/thread-service.js';
import { createAnswerFeedbackService } from './threads/answer-feedback.js';
import { createUsageIngester, type UsageIngester } from './usage/ingest/ingest-usage.js';
import { announceIngestedUsage } from './usage/ingest/announce-ingested-usage.js';
import { announceUsageChanged } from './usage/usage-change-announcer.js';
import { createAgentServices, type AgentServices } from './agent-services.js';
import { threadTitle } from './agents/thread-title.js';

export const VERSION = '0.1.0';

/** Everything a node is made of, built once here and passed down explicitly. */
export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  engine: DatabaseEngine;
  bus: Bus;
  kv: EphemeralStore;
  /** The usage store, prices, LLM settings and agent pipeline of this thread (closed with the node). */
  agents: AgentServices;
  ingester: UsageIngester;
  runs: RunService;
  /** The node's run worker: on this thread, or on run threads (TALLY_RUN_THREADS). */
  worker: RunWorker;
  /** The run event log the runs and workers write (the SQL one unless BuildOptions says otherwise). */
  eventLog: RunEventLog;
  nodeId: string;
  /** The lease heartbeat's own connection on PostgreSQL (undefined on PGlite, where `db` serves). */
  leaseDb: Db | undefined;
  /** PGlite: the usage store's own port to the database thread, on its background lane (absent on PostgreSQL). */
  usageDb?: Db;
  /**
   * Where OTLP export requests are stored: on PGlite, the SQL usage store over a port of its own on
   * the database thread's bulk lane (`ingestDb`), so the ingest's large inserts take the one
   * connection only when nobody else waits for it (store/pglite-lending.ts); elsewhere the usage store.
   */
  otlpStore: UsageStore;
  /** PGlite: the OTLP store's port to the database thread (absent on PostgreSQL). */
  ingestDb?: Db;
  /** This node's Prometheus metrics (served on TALLY_METRICS_PORT). */
  metrics: TallyMetrics;
}

export interface BuildOptions {
  logger?: Logger;
  /** Postgres schema for this instance (tests give each file its own). */
  databaseSchema?: string;
  /** Whether this node runs agent workers (default true). */
  runWorkers?: boolean;
  /**
   * Where run events are written and read by the runs and workers: the SQL log over the database
   * when absent. Benches pass an in-memory log (persistence off) or a counting wrapper.
   */
  runEventLog?: (db: Db) => RunEventLog;
}

export async function createServices(config: Config, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createTallyMetrics();
  // A database restart, failover or blip fails statements, never the node (store/database.ts).
  const databaseOutage = createOutageLog(logger, 'postgresql');
  const schema = options.databaseSchema ?? config.databaseSchema;
  const { db: store, leaseDb, engine, pglite } = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema,
    holder: 'tally serve',
    onConnectionError: databaseOutage.failed,
    preparedStatements: config.databasePreparedStatements,
    ...(config.databasePoolMax === undefined ? {} : { pool: { max: config.databasePoolMax } }),
  });
  // With tracing on, each query is a span of the request or run step that made it.
  const db = config.tracing ? store.withPlugin(createQuerySpans('postgresql')) : store;
  await migrateToLatest(db, schema);
  const bus = config.redisUrl ? await createRedisBus({ url: config.redisUrl, prefix: config.redisPrefix, logger }) : createMemoryBus();
  bus.onReconnect(() => metrics.busReconnected());
  const kv = config.redisUrl
    ? await createRedisEphemeralStore({ url: config.redisUrl, prefix: config.redisPrefix, logger })
    : createMemoryEphemeralStore();
  // On the embedded store the usage store's statements take the database thread's background lane (agent-services.ts).
  /** A handle on a port of its own to the embedded database thread, on `lane` (traced like `db`). */
  const laneDb = async (thread: NonNullable<typeof pglite>, lane: PgliteLane): Promise<Db> => {
    const { db: handle } = await openDatabase({ url: undefined, dataDir: config.dataDir, pglitePort: thread.connectPort(lane) });
    return config.tracing ? handle.withPlugin(createQuerySpans('postgresql')) : handle;
  };
  const usageDb = pglite ? await laneDb(pglite, 'background') : undefined;
  const agents = await createAgentServices({ config, db, ...(usageDb ? { usageDb } : {}), bus, logger, onLlmCall: (call, costUsd) => metrics.llmCall(call, costUsd) });
  // On the embedded store with usage in SQL, OTLP's inserts take the database thread's bulk lane.
  const ingestDb = pglite && !config.clickhouseUrl ? await laneDb(pglite, 'bulk') : undefined;
  const nodeId = `node-${crypto.randomUUID()}`;
  const eventLog = countEventLogWrites(options.runEventLog?.(db) ?? createSqlRunEventLog(db), metrics);
  const worker = createNodeRunWorker({
    config,
    db,
    leaseDb,
    bus,
    eventLog,
    eventLogIsCustom: options.runEventLog !== undefined,
    pipeline: agents.pipeline,
    logger,
    nodeId,
    metrics,
    databaseSchema: schema,
    databasePort: pglite?.connectPort,
  });
  return {
    config,
    logger,
    db,
    ...(usageDb ? { usageDb } : {}),
    otlpStore: ingestDb ? createSqlUsageStore(ingestDb) : agents.usageStore,
    ...(ingestDb ? { ingestDb } : {}),
    engine,
    bus,
    kv,
    agents,
    ingester: announceIngestedUsage(countIngestedRows(createUsageIngester({ store: agents.usageStore, prices: agents.prices }), metrics), bus),
    runs: createRunService({
      db,
      bus,
      eventLog,
      titleThread: threadTitle,
      limits: {
        maxActiveRuns: config.limits.maxActiveRuns,
        messageRate: createFixedWindowLimit(kv, { name: 'messages', limit: config.limits.messagesPerMinute, windowMs: 60_000 }),
      },
    }),
    worker,
    nodeId,
    eventLog,
    leaseDb,
    metrics,
  };
}

export interface App {
  app: FastifyInstance;
  services: Services;
  gateway: GatewayControl;
  /** Where GET /metrics is served (TALLY_METRICS_PORT); undefined when off. */
  metricsUrl: string | undefined;
  /** Stops workers, closes sockets, then the stores; safe to call twice. */
  close(): Promise<void>;
}

/** The composition root: one node's HTTP API, WebSocket gateway and run workers. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const services = await createServices(config, options);
  const { db, bus, kv, logger } = services;
  const audit = createAuditLog({ db });
  const securityEvents = createSecurityEventRecorder({ audit, logger });
  const sessions = createSessionService({ db, bus, onSecurityEvent: securityEvents });
  // Signature and expiry; the HTTP authenticator and the gateway check the session and account themselves.
  const tokenSecret = await resolveTokenSecret(db, config.jwtSecret);
  const signedTokens = createAccessTokens({ secret: tokenSecret, ttlSeconds: config.accessTokenTtlSeconds });
  // The first sign-up of a server others can reach needs the token printed below (first-admin-setup.ts).
  const firstAdmin = createFirstAdminSetup({ secret: tokenSecret, required: reachableBeyondLoopback(config) });
  // Every other check of an access token also checks its session is still open.
  const tokens = withSessionCheck(signedTokens, sessions);
  // Upgrades (a reconnect storm) read a session's standing at most once a second per node;
  // revocations reach it at once over the bus (see session-standing-cache.ts).
  const standings = await createSessionStandingCache({ read: (id) => sessions.standing(id), bus, ttlMs: 1000, maxEntries: 50_000 });
  const tickets = createWsTickets({ store: kv, ttlSeconds: config.ws.ticketTtlSeconds });
  const passwords = createPasswordPolicy();
  const auth = createAuthService({ db, tokens, sessions, passwords, refreshTtlSeconds: config.refreshTokenTtlSeconds, reuseGraceMs: config.refreshReuseGraceMs, signup: config.signup, firstAdmin, onSecurityEvent: securityEvents });
  // Access tokens and API keys, with the account's role and disabled state read on each request.
  const accounts = createAccounts({ db, passwords });
  const apiKeys = createApiKeys({ db, bus });
  const authenticator = createAuthenticator({ tokens: signedTokens, apiKeys, sessionStanding: (id) => sessions.standing(id) });
  // OTLP exporters send many requests a second with one credential, and on the embedded store each
  // read of it waited behind the insert in progress: their credentials are checked against the
  // node's memory, which every revocation clears at once (credential-cache.ts). Roles are still read
  // on each request (otlp-routes.ts).
  const apiKeyCache = await createApiKeyVerificationCache({ apiKeys, bus, ttlMs: 1000, maxEntries: 50_000 });
  const exportAuthenticator = createAuthenticator({ tokens: signedTokens, apiKeys: apiKeyCache, sessionStanding: (id) => standings.standing(id) });
  const endSessions = async (userId: string, reason: string) => void (await sessions.revokeAllExcept(userId, undefined, reason));
  const resets = createPasswordResets({ db, passwords, endSessions });
  const origins = createOriginPolicy(config);

  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1024 * 1024,
    // Fastify's own two lines per request are off: registerRequestLog writes one (errors: the error handler).
    logController: new LogController({ disableRequestLogging: true }),
    // Forwarded headers only from the proxies TALLY_TRUST_PROXY names (off by default): request.ip
    // feeds the log-in throttle, the session list and the audit log.
    trustProxy: trustProxyOption(config.trustProxy), });
  app.decorateRequest('auth', null);
  registerRequestLog(app, { logger, observe: services.metrics.httpRequest });
  registerErrorHandler(app);
  if (config.tracing) registerRequestSpans(app);
  // Before any route: each /v1 route gets the guard its ROUTE_ACCESS entry names.
  const workspaces = createWorkspaceService({ db, bus, audit, apiKeys });
  registerRouteAccess(app, { authenticator, workspaceGuard: createWorkspaceGuard({ workspaces }) });
  await app.register(cookie);
  await registerSecurity(app, { origins });
  await app.register(websocket, {
    options: { maxPayload: config.ws.maxFrameBytes, handleProtocols: (protocols) => selectSubprotocol(protocols) },
  });
  let draining = false;
  const llmInUse = createLlmInUse(services.agents.llmSettings, config.llm.kind);
  llmInUse();
  await app.register(healthRoutes, {
    readiness: {
      database: async () => void (await sql`select 1`.execute(db)),
      bus: () => (config.redisUrl ? (bus.isConnected?.() ?? true) : undefined),
      ephemeral: () => (config.redisUrl ? (kv.isConnected?.() ?? true) : undefined),
      draining: () => draining,
    },
    version: VERSION,
    engines: {
      database: services.engine,
      bus: config.redisUrl ? 'redis' : 'memory',
      usage: config.clickhouseUrl ? 'clickhouse' : 'sql',
      // Read at each answer: the LLM new runs use, after an admin's setting too.
      get llm() {
        return llmInUse();
      },
    },
  });
  await app.register(authRoutes, {
    auth,
    accounts,
    sessions,
    tickets,
    throttle: createLoginThrottle(kv),
    refreshTtlSeconds: config.refreshTokenTtlSeconds,
    cookieSecurity: config.cookieSecure,
  });
  // Discovered now when configured, so a wrong issuer shows in the log; a provider down at start
  // is tried again at each sign-in, and refuses them (AUTH_OIDC_UNAVAILABLE) until it answers.
  const oidc = config.oidc ? createOidcLogin({ config: config.oidc, kv, logger }) : null;
  void oidc?.warmUp();
  await app.register(oidcRoutes, {
    oidc,
    accounts: createOidcAccounts({ db, firstAccountIsAdmin: firstAdmin.token === null }),
    auth,
    refreshTtlSeconds: config.refreshTokenTtlSeconds,
    cookieSecurity: config.cookieSecure,
    onSecurityEvent: securityEvents,
  });
  const threads = createThreadService({ db, runs: services.runs, audit, bus });
  await app.register(accountRoutes, {
    deletion: createAccountDeletion({ db, runs: services.runs, endSessions: (userId, reason) => sessions.closeAccount(userId, reason), usage: services.agents.usageStore }),
    audit,
  });
  await app.register(threadRoutes, { threads });
  await app.register(feedbackRoutes, { feedback: createAnswerFeedbackService({ db, threads, runs: services.runs }) });
  await app.register(runRoutes, { runs: services.runs });
  const reconciliation = createReconciliationService({ db, usageStore: services.agents.usageStore });
  await app.register(usageRoutes, { ingester: services.ingester, store: services.agents.usageStore, reconciliation });
  await app.register(otlpRoutes, {
    store: services.otlpStore,
    prices: services.agents.prices,
    roleOf: workspaces.roleOf,
    authenticate: (request) => exportAuthenticator.authenticate(request),
    onIngested: (summary) => services.metrics.ingested(summary),
    onStored: (workspaceId) => announceUsageChanged(services.bus, workspaceId, { source: 'otlp' }),
  });
  await app.register(usageExplorerRoutes, { explorer: services.agents.explorer });
  await app.register(reconciliationRoutes, { reconciliation, audit });
  // Provider connectors (issue 18): admin keys sealed with the connector key (none on PostgreSQL
  // without TALLY_CONNECTOR_KEY: creating one is then refused), synced by the scheduler below.
  const connectorKey = await resolveConnectorKey({ configured: config.connectors.key, embedded: services.engine === 'pglite', dataDir: config.dataDir });
  const connectorCipher = connectorKey ? createAdminKeyCipher(connectorKey) : null;
  let connectorScheduler: ConnectorScheduler | null = null;
  await app.register(connectorRoutes, { connectors: createConnectorService({ db, bus, audit, cipher: connectorCipher, nudge: () => connectorScheduler?.nudge() }) });
  await app.register(apiKeyRoutes, { apiKeys, audit });
  const invitationMailer = config.smtp ? createInvitationMailer(config.smtp) : null;
  await app.register(workspaceRoutes, {
    workspaces,
    invitations: createWorkspaceInvitations({ db, audit, workspaces }),
    audit,
    mailer: invitationMailer,
    mailLimit: createFixedWindowLimit(kv, { name: 'invitation mails', limit: INVITATION_MAILS_PER_HOUR, windowMs: 3_600_000 }),
    publicUrl: config.publicUrl,
    logger,
  });
  // Every node hears every reduction of workspace access (its gateway will end the member's subscriptions there).
  const membershipWatch = await watchMembershipChanges({ bus, logger });
  await app.register(passwordResetRoutes, { resets, audit });
  await app.register(adminRoutes, {
    users: createUserAdmin({ db, endSessions: (userId, reason) => sessions.closeAccount(userId, reason) }),
    resets,
    audit,
    // Stored, then announced: every node prices with them from its next call (pricing/live-price-catalog.ts).
    prices: {
      load: () => loadPriceSettings(db),
      set: async (o) => {
        await setPriceOverride(db, o);
        await services.agents.prices.changed();
      },
      remove: async (model, provider) => {
        const removed = await removePriceOverride(db, model, provider);
        if (removed) await services.agents.prices.changed();
        return removed;
      },
    },
    llm: services.agents.llmSettings,
  });
  const repriceJobs = createRepriceJobs({ db, repricing: services.agents.repricing, prices: services.agents.prices, logger });
  await app.register(priceRoutes, { db, prices: services.agents.prices, usage: services.agents.usageStore, jobs: repriceJobs, audit });
  const gateway = registerWsGateway(app, {
    eventLog: services.eventLog,
    // Run events arriving for this node's sockets are timed (tally_event_delivery_lag_seconds).
    bus: measureDeliveryLag(bus, services.metrics),
    runs: services.runs,
    threads,
    roleOf: workspaces.roleOf,
    membersOf: (workspaceId) => workspaces.members(workspaceId),
    membership: membershipWatch,
    logger,
    heartbeatMs: config.ws.heartbeatMs,
    limits: {
      floodFramesPerSecond: config.ws.floodFramesPerSecond,
      maxSubscriptions: 64,
      maxWatchedThreads: 32,
      send: { softBytes: config.ws.sendSoftBytes, hardBytes: config.ws.sendHardBytes },
    },
    // A disabled account opens no socket, whatever ticket or token it holds.
    authenticate: createWsAuthenticator({
      tokens: signedTokens,
      tickets,
      sessionStanding: (id) => standings.standing(id),
      apiKeyClaims: async (claims) => ((await apiKeys.isActive(claims.apiKeyId)) ? accounts.activeClaims(claims) : null),
    }),
    // Each command re-asks whether the socket's credential holds (a revoked key or session, a disabled account).
    credentialRefusal: createCredentialCheck({ sessionStanding: (id) => standings.standing(id), apiKeyStanding: (id) => apiKeys.standing(id) }),
    origins,
    kv,
    maxSocketsPerUser: config.limits.maxSocketsPerUser,
  });
  await app.register(webRoutes, { dir: config.webDir ?? defaultWebDir() });

  if (options.runWorkers !== false) await services.worker.start();
  // The connectors' sync is background work like the runs': on the nodes that run workers.
  if (options.runWorkers !== false) {
    connectorScheduler = await startConnectorScheduler({
      db,
      bus,
      logger,
      nodeId: services.nodeId,
      clients: createProviderClients(config.connectors.baseUrls),
      cipher: connectorCipher,
      leaseMs: config.connectors.leaseMs,
      syncIntervalMs: config.connectors.syncIntervalMs,
      failureRetryMs: Math.min(FAILURE_RETRY_MS, config.connectors.syncIntervalMs),
      retry: DEFAULT_RETRY_POLICY,
      tickMs: config.connectors.tickMs,
      onSynced: (sync) => services.metrics.connectorSynced(sync),
    });
  }
  await announceFirstAdminSetup({ db, logger, setup: firstAdmin, publicUrl: config.publicUrl });
  services.metrics.setSources({
    sockets: () => gateway.connections,
    activeRuns: () => services.worker.active,
    runsByState: async () =>
      (
        await db
          .selectFrom('runs')
          .select(['status', sql<number>`count(*)::int`.as('count')])
          .where('status', 'in', ['queued', 'running'])
          .groupBy('status')
          .execute()
      ).map((r) => ({ state: r.status, count: Number(r.count) })),
  });
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer({ registry: services.metrics.registry, host: config.host, port: config.metricsPort });

  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    gateway,
    metricsUrl: metricsServer?.url,
    close: () =>
      (closing ??= (async () => {
        // Readiness fails from now on: a load balancer stops sending new clients here.
        draining = true;
        // Runs go back to the queue for other nodes, then clients are told to reconnect elsewhere.
        await services.worker.stop();
        // A sync in flight stops and frees its lease (due again at once, for another node).
        await connectorScheduler?.stop();
        await gateway.closeAll();
        await app.close();
        await standings.close();
        await apiKeyCache.close();
        await membershipWatch.close();
        invitationMailer?.close();
        await repriceJobs.close();
        await services.agents.close();
        await bus.close();
        await kv.close();
        await metricsServer?.close();
        await services.leaseDb?.destroy();
        await services.usageDb?.destroy();
        await services.ingestDb?.destroy();
        await db.destroy();
      })()),
  };
}

function defaultWebDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}
