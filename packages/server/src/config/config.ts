import { z } from 'zod';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConnectorKey } from './connector-key.js';

/**
 * The one place that reads the environment. `loadConfig` validates every variable and fails with
 * a ConfigError naming the first bad variable, so a wrong value stops the process with one line.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const url = (protocols: string[]) =>
  z.string().url().refine((u) => protocols.some((p) => u.startsWith(`${p}:`)), {
    message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  });

const EnvSchema = z.object({
  PORT: port.optional(),
  TALLY_PORT: port.optional(),
  // Loopback by default: a laptop's `npm start` serves only this machine; serving others is a choice
  // (TALLY_HOST=0.0.0.0), and that choice brings the first-admin setup token (auth/first-admin-setup.ts).
  TALLY_HOST: z.string().min(1).default('127.0.0.1'),
  TALLY_DATA_DIR: z.string().min(1).default('.tally-data'),
  TALLY_DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  TALLY_REDIS_URL: url(['redis', 'rediss']).optional(),
  /** An SMTP server (smtp://user:pass@host:587, smtps://...:465) to mail workspace invitations; without it the inviter is shown the link. */
  TALLY_SMTP_URL: url(['smtp', 'smtps']).optional(),
  /** The From of those mails. */
  TALLY_SMTP_FROM: z.string().min(3).max(254).default('Tally <tally@localhost>'),
  /** ClickHouse's HTTP interface for usage analytics; its path, if any, names the database (default `tally`). */
  TALLY_CLICKHOUSE_URL: url(['http', 'https'])
    .refine((u) => URL.canParse(u) && /^\/?$|^\/[A-Za-z_][A-Za-z0-9_]{0,63}\/?$/.test(new URL(u).pathname), { message: 'path must be a database name' })
    .optional(),
  /** Postgres schema of Tally's tables, for a database shared with other applications. */
  TALLY_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'must be a plain identifier').max(63).optional(),
  /** Named prepared statements on PostgreSQL (store/prepared-statements.ts); false behind PgBouncer in transaction mode before 1.21. */
  TALLY_DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true'),
  /** Connections each PostgreSQL pool of a node opens (store/database.ts's POOL_MAX when unset). */
  TALLY_DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1_000).optional(),
  /**
   * Rows of whole-history analysis reads a node keeps between runs, checked against the
   * workspace's usage version before each use (usage/analysis-read-cache.ts); 0 keeps none.
   */
  TALLY_ANALYSIS_CACHE_ROWS: z.coerce.number().int().min(0).default(50_000),
  /** How long a node's claim on a run lasts without a heartbeat; its runs move on after that. */
  TALLY_RUN_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(6_000),
  /** How long a run's event may wait (already delivered) before it is written to the log: one write per run per interval. */
  TALLY_EVENT_FLUSH_MS: z.coerce.number().int().min(1).max(10_000).default(250),
  TALLY_WS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Origins (scheme://host[:port], comma-separated) other than the server's own allowed to call the API. */
  TALLY_CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('must be a comma-separated list of origins like https://app.example.com')))
    .optional(),
  /**
   * Which peers' X-Forwarded-For (and -Proto, -Host) to believe: off (the default: the socket's
   * address is the client's), a hop count of proxies in front, or a comma list of the proxies'
   * addresses or CIDRs. The per-IP log-in throttle, the session list and the audit log use it.
   */
  TALLY_TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      const value = v.trim();
      if (/^(false|off|no|0)$/i.test(value)) return false as const;
      if (/^[1-9][0-9]?$/.test(value)) return Number(value);
      const list = value.split(',').map((a) => a.trim()).filter(Boolean);
      const bad = list.find((a) => !isAddressOrCidr(a));
      if (list.length === 0 || bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `must be off, a hop count (1-99), or a comma list of addresses/CIDRs${bad ? ` (not one: ${bad})` : ''}` });
        return z.NEVER;
      }
      return list;
    })
    .optional(),
  /**
   * Host names (comma-separated) the server answers state-changing requests and sockets for,
   * besides TALLY_PUBLIC_URL's host, loopback names and IP addresses: a defence against DNS rebinding.
   */
  TALLY_ALLOWED_HOSTS: z
    .string()
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a comma-separated list of host names like tally.example.com or *.example.com')))
    .optional(),
  /** Secure flag of the refresh cookie: always, never, or auto (when the request came over HTTPS). */
  TALLY_COOKIE_SECURE: z.enum(['always', 'never', 'auto']).default('auto'),
  /** A refresh token used again within this many ms is a race between tabs, not a theft. */
  TALLY_REFRESH_REUSE_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  TALLY_WS_TICKET_TTL_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /**
   * `open`: anyone may sign up. `closed`: only the first account (the admin) signs up; the others
   * are created by an admin (`tally user create`) or come through OIDC. Closed sign-up also stops
   * sign-up from telling which emails have accounts.
   */
  TALLY_SIGNUP: z.enum(['open', 'closed']).default('open'),
  TALLY_MAX_ACTIVE_RUNS: z.coerce.number().int().min(1).max(1000).default(3),
  TALLY_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  TALLY_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(20),
  TALLY_WS_SEND_SOFT_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  TALLY_WS_SEND_HARD_BYTES: z.coerce.number().int().min(4096).default(4 * 1024 * 1024),
  /** Prefix for every Redis key and channel, so several deployments (or test files) share one Redis. */
  TALLY_REDIS_PREFIX: z.string().max(64).default('tally:'),
  /** Secret for signing access tokens; generated and kept in the data folder when absent. */
  TALLY_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TALLY_ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  TALLY_REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 24 * 3600),
  /** Which LLM API: any OpenAI-compatible endpoint (the default), or Anthropic's Messages API. */
  TALLY_LLM_PROVIDER: z.enum(['openai-compatible', 'anthropic']).optional(),
  TALLY_LLM_BASE_URL: url(['http', 'https']).optional(),
  TALLY_LLM_API_KEY: z.string().optional(),
  TALLY_LLM_MODEL: z.string().min(1).optional(),
  TALLY_LLM_TIMEOUT_MS: positiveInt.default(60_000),
  TALLY_WORKER_CONCURRENCY: positiveInt.default(16),
  /**
   * Threads that run the agent pipelines (PostgreSQL only: the embedded database lives in one
   * thread), so the main thread keeps its event loop for sockets and HTTP. 0 (the default) runs
   * them on the main thread; `auto` is one per core but one. Measured on 2 cores shared with
   * PostgreSQL, the benchmark's LLM server and its load (docs/DECISIONS.md, run threads): the main thread's loop
   * delay under load drops from ~40 to ~6-9 ms, but runs cost 15-30 % more CPU and no more of
   * them complete, so they are for machines with cores to spare.
   */
  TALLY_RUN_THREADS: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]).optional(),
  /** Port of the Prometheus endpoint (GET /metrics), a listener apart from the API on TALLY_HOST; off when unset. */
  TALLY_METRICS_PORT: port.optional(),
  TALLY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Folder of the built web app; served at / when it exists. */
  TALLY_WEB_DIR: z.string().optional(),
  /** The address people open Tally at (scheme://host[:port]); default http://localhost:<port>. */
  TALLY_PUBLIC_URL: url(['http', 'https'])
    .refine((u) => URL.canParse(u) && /^\/?$/.test(new URL(u).pathname) && !new URL(u).search && !new URL(u).hash, { message: 'must be an origin, with no path' })
    .optional(),
  /** Sign-in with OpenID Connect: the provider's issuer URL (https, or http on this machine only). */
  TALLY_OIDC_ISSUER: url(['http', 'https'])
    .refine((u) => URL.canParse(u) && (new URL(u).protocol === 'https:' || isLoopback(new URL(u).hostname)), {
      message: 'must be https (http only for an issuer on localhost)',
    })
    .optional(),
  TALLY_OIDC_CLIENT_ID: z.string().min(1).optional(),
  TALLY_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The callback registered at the provider; default <public URL>/v1/auth/oidc/callback. */
  TALLY_OIDC_REDIRECT_URL: url(['http', 'https'])
    .refine((u) => URL.canParse(u) && !new URL(u).search && !new URL(u).hash, { message: 'must have no query or fragment' })
    .optional(),
  /**
   * Traces of Tally's own work over OTLP/HTTP, the OpenTelemetry SDK's standard variables: on when
   * an endpoint is set (or OTEL_TRACES_EXPORTER=otlp, default http://localhost:4318), off with
   * OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true. OTEL_EXPORTER_OTLP_HEADERS and OTEL_BSP_*
   * are read by the SDK itself.
   */
  /**
   * 32 bytes (64 hex characters, or base64) that encrypt connectors' admin keys at rest. Unset: the
   * embedded default generates one into the data folder; on PostgreSQL connectors are refused.
   */
  TALLY_CONNECTOR_KEY: z
    .string()
    .refine((v) => parseConnectorKey(v) !== null, { message: 'must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)' })
    .optional(),
  /** How often each connector syncs (hourly); the scheduler looks for due ones every TALLY_CONNECTOR_TICK_MS. */
  TALLY_CONNECTOR_SYNC_INTERVAL_MS: z.coerce.number().int().min(1000).max(7 * 24 * 3_600_000).default(3_600_000),
  TALLY_CONNECTOR_TICK_MS: z.coerce.number().int().min(50).max(3_600_000).default(30_000),
  /** How long a node's claim on a connector's sync lasts without renewal (renewed while it syncs). */
  TALLY_CONNECTOR_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(120_000),
  /** The providers' API base URLs: a corporate egress proxy, or a regional endpoint. */
  TALLY_CONNECTOR_OPENAI_BASE_URL: url(['http', 'https']).default('https://api.openai.com'),
  TALLY_CONNECTOR_ANTHROPIC_BASE_URL: url(['http', 'https']).default('https://api.anthropic.com'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http', 'https']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http', 'https']).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default('tally'),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
});

export type LlmConfig =
  | { kind: 'offline' }
  | { kind: 'openai-compatible'; baseUrl: string; apiKey: string | undefined; model: string; timeoutMs: number }
  /** `baseUrl` undefined: Anthropic's own API. */
  | { kind: 'anthropic'; baseUrl: string | undefined; apiKey: string; model: string; timeoutMs: number };

export interface Config {
  host: string;
  port: number;
  /** The origin people open Tally at, without a trailing slash. */
  publicUrl: string;
  /** Sign-in with OpenID Connect; null when not configured. */
  oidc: OidcConfig | null;
  /** Where workspace invitations are mailed from; null: the inviter is shown the link instead. */
  smtp: { url: string; from: string } | null;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** When set, usage records live in ClickHouse instead of the SQL database. */
  clickhouseUrl: string | undefined;
  redisPrefix: string;
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceMs: number;
  signup: 'open' | 'closed';
  llm: LlmConfig;
  workerConcurrency: number;
  /** Threads running the agent pipelines (0: the main thread runs them). */
  runThreads: number;
  logLevel: z.infer<typeof EnvSchema>['TALLY_LOG_LEVEL'];
  /** Port of the Prometheus endpoint; undefined when off. */
  metricsPort: number | undefined;
  webDir: string | undefined;
  /** Limits of the WebSocket gateway. */
  databaseSchema: string | undefined;
  /** PostgreSQL: the statements a node repeats are prepared once per connection (store/prepared-statements.ts). */
  databasePreparedStatements: boolean;
  /**
   * PostgreSQL connections each pool of the node opens (the main thread's, and each run thread's;
   * the lease heartbeat has one more of its own); undefined for the store's default (POOL_MAX).
   */
  databasePoolMax: number | undefined;
  /** Rows of analysis reads kept per node between runs (0: none). */
  analysisCacheRows: number;
  /** OpenTelemetry traces of Tally's work; null when off (the default). */
  tracing: TracingConfig | null;
  runLeaseMs: number;
  /** Provider connectors (connectors/): the admin-key encryption key and the sync's schedule. */
  connectors: ConnectorsConfig;
  /** Write-behind interval of run events (delivered at once, logged within this many ms). */
  eventFlushMs: number;
  /** Browser origins besides the server's own that may call the API and open sockets. */
  corsOrigins: string[];
  /** Whose forwarded headers to believe: false (none), a hop count, or proxies' addresses/CIDRs. */
  trustProxy: false | number | string[];
  /** Host names besides the public URL's, loopback names and IP addresses that requests may name. */
  allowedHosts: string[];
  cookieSecure: 'always' | 'never' | 'auto';
  limits: { maxActiveRuns: number; messagesPerMinute: number; maxSocketsPerUser: number };
  ws: {
    maxFrameBytes: number;
    floodFramesPerSecond: number;
    ticketTtlSeconds: number;
    heartbeatMs: number;
    /** A socket with more buffered than this lags: its frames wait and deltas merge. */
    sendSoftBytes: number;
    /** A socket past this many buffered bytes is closed with SLOW_CONSUMER. */
    sendHardBytes: number;
  };
}

export interface ConnectorsConfig {
  /** TALLY_CONNECTOR_KEY's 32 bytes; undefined when unset (connectors/connector-key-source.ts decides then). */
  key: Buffer | undefined;
  syncIntervalMs: number;
  tickMs: number;
  leaseMs: number;
  baseUrls: { openai: string; anthropic: string };
}

/** Where spans go (the full OTLP/HTTP traces URL) and the service name they carry. */
export interface TracingConfig {
  tracesUrl: string;
  serviceName: string;
}

export interface OidcConfig {
  /** The issuer identifier, exactly as the provider's discovery document states it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back; registered at the provider. */
  redirectUrl: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as shells and compose files commonly leave them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `${issue.message} (got ${JSON.stringify(cleaned[variable] ?? null)})`);
  }
  const e = parsed.data;
  const llm = llmConfig(e);
  const listenPort = e.TALLY_PORT ?? e.PORT ?? 8080;
  const publicUrl = (e.TALLY_PUBLIC_URL ?? `http://localhost:${listenPort}`).replace(/\/$/, '');
  return {
    host: e.TALLY_HOST,
    port: listenPort,
    publicUrl,
    oidc: oidcConfig(e, publicUrl),
    smtp: e.TALLY_SMTP_URL ? { url: e.TALLY_SMTP_URL, from: e.TALLY_SMTP_FROM } : null,
    dataDir: path.resolve(e.TALLY_DATA_DIR),
    databaseUrl: e.TALLY_DATABASE_URL,
    redisUrl: e.TALLY_REDIS_URL,
    clickhouseUrl: e.TALLY_CLICKHOUSE_URL,
    redisPrefix: e.TALLY_REDIS_PREFIX,
    jwtSecret: e.TALLY_JWT_SECRET,
    accessTokenTtlSeconds: e.TALLY_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.TALLY_REFRESH_TOKEN_TTL_SECONDS,
    refreshReuseGraceMs: e.TALLY_REFRESH_REUSE_GRACE_MS,
    signup: e.TALLY_SIGNUP,
    llm,
    workerConcurrency: e.TALLY_WORKER_CONCURRENCY,
    runThreads: runThreads(e),
    logLevel: e.TALLY_LOG_LEVEL,
    metricsPort: e.TALLY_METRICS_PORT,
    webDir: e.TALLY_WEB_DIR,
    databaseSchema: e.TALLY_DATABASE_SCHEMA,
    databasePreparedStatements: e.TALLY_DATABASE_PREPARED_STATEMENTS === 'true',
    databasePoolMax: e.TALLY_DATABASE_POOL_MAX,
    analysisCacheRows: e.TALLY_ANALYSIS_CACHE_ROWS,
    tracing: tracingConfig(e),
    runLeaseMs: e.TALLY_RUN_LEASE_MS,
    connectors: {
      key: e.TALLY_CONNECTOR_KEY ? (parseConnectorKey(e.TALLY_CONNECTOR_KEY) ?? undefined) : undefined,
      syncIntervalMs: e.TALLY_CONNECTOR_SYNC_INTERVAL_MS,
      tickMs: e.TALLY_CONNECTOR_TICK_MS,
      leaseMs: e.TALLY_CONNECTOR_LEASE_MS,
      baseUrls: { openai: e.TALLY_CONNECTOR_OPENAI_BASE_URL.replace(/\/$/, ''), anthropic: e.TALLY_CONNECTOR_ANTHROPIC_BASE_URL.replace(/\/$/, '') },
    },
    eventFlushMs: e.TALLY_EVENT_FLUSH_MS,
    corsOrigins: e.TALLY_CORS_ORIGINS ?? [],
    trustProxy: e.TALLY_TRUST_PROXY ?? false,
    allowedHosts: e.TALLY_ALLOWED_HOSTS ?? [],
    cookieSecure: e.TALLY_COOKIE_SECURE,
    limits: {
      maxActiveRuns: e.TALLY_MAX_ACTIVE_RUNS,
      messagesPerMinute: e.TALLY_MESSAGES_PER_MINUTE,
      maxSocketsPerUser: e.TALLY_MAX_SOCKETS_PER_USER,
    },
    ws: {
      maxFrameBytes: 64 * 1024,
      floodFramesPerSecond: 50,
      ticketTtlSeconds: e.TALLY_WS_TICKET_TTL_SECONDS,
      heartbeatMs: e.TALLY_WS_HEARTBEAT_MS,
      sendSoftBytes: e.TALLY_WS_SEND_SOFT_BYTES,
      sendHardBytes: e.TALLY_WS_SEND_HARD_BYTES,
    },
  };
}

/**
 * Offline unless an LLM is configured: TALLY_LLM_PROVIDER=anthropic (model and key required, base
 * URL optional), or an OpenAI-compatible endpoint (base URL and model required).
 */
function llmConfig(e: z.infer<typeof EnvSchema>): LlmConfig {
  if (e.TALLY_LLM_PROVIDER === 'anthropic') {
    return {
      kind: 'anthropic',
      baseUrl: e.TALLY_LLM_BASE_URL,
      apiKey: requireFor(e.TALLY_LLM_API_KEY, 'TALLY_LLM_API_KEY', 'when TALLY_LLM_PROVIDER is anthropic'),
      model: requireFor(e.TALLY_LLM_MODEL, 'TALLY_LLM_MODEL', 'when TALLY_LLM_PROVIDER is anthropic'),
      timeoutMs: e.TALLY_LLM_TIMEOUT_MS,
    };
  }
  if (e.TALLY_LLM_BASE_URL) {
    return {
      kind: 'openai-compatible',
      baseUrl: e.TALLY_LLM_BASE_URL,
      apiKey: e.TALLY_LLM_API_KEY,
      model: requireFor(e.TALLY_LLM_MODEL, 'TALLY_LLM_MODEL', 'when TALLY_LLM_BASE_URL is set'),
      timeoutMs: e.TALLY_LLM_TIMEOUT_MS,
    };
  }
  if (e.TALLY_LLM_PROVIDER === 'openai-compatible') throw new ConfigError('TALLY_LLM_BASE_URL', 'is required when TALLY_LLM_PROVIDER is openai-compatible');
  if (e.TALLY_LLM_MODEL) throw new ConfigError('TALLY_LLM_BASE_URL', 'is required when TALLY_LLM_MODEL is set');
  return { kind: 'offline' };
}

function tracingConfig(e: z.infer<typeof EnvSchema>): TracingConfig | null {
  if (e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none') return null;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, '');
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base}/v1/traces` : e.OTEL_TRACES_EXPORTER === 'otlp' ? 'http://localhost:4318/v1/traces' : null);
  return tracesUrl ? { tracesUrl, serviceName: e.OTEL_SERVICE_NAME } : null;
}

/**
 * The embedded store runs its agents on one run thread by default: measured at the issue's full size
 * (5 askers x 1M records, docs/BENCHMARKS.md), it alone kept other users' streams within target while
 * analyses ran. On PostgreSQL the pipelines stay on the main thread unless asked (threads cost 15-30 %
 * more CPU per run there, docs/DECISIONS.md). The embedded run threads reach its database thread over
 * ports of their own.
 */
function runThreads(e: z.infer<typeof EnvSchema>): number {
  const embedded = !e.TALLY_DATABASE_URL;
  if (e.TALLY_RUN_THREADS === undefined) return embedded ? 1 : 0;
  if (e.TALLY_RUN_THREADS === 'auto') return embedded ? 1 : Math.max(1, os.availableParallelism() - 1);
  return e.TALLY_RUN_THREADS;
}

/** Off unless TALLY_OIDC_ISSUER is set; then the client id and secret are required too. */
function oidcConfig(e: z.infer<typeof EnvSchema>, publicUrl: string): OidcConfig | null {
  if (!e.TALLY_OIDC_ISSUER) {
    for (const variable of ['TALLY_OIDC_CLIENT_ID', 'TALLY_OIDC_CLIENT_SECRET', 'TALLY_OIDC_REDIRECT_URL'] as const) {
      if (e[variable]) throw new ConfigError('TALLY_OIDC_ISSUER', `is required when ${variable} is set`);
    }
    return null;
  }
  return {
    issuer: e.TALLY_OIDC_ISSUER,
    clientId: requireFor(e.TALLY_OIDC_CLIENT_ID, 'TALLY_OIDC_CLIENT_ID', 'when TALLY_OIDC_ISSUER is set'),
    clientSecret: requireFor(e.TALLY_OIDC_CLIENT_SECRET, 'TALLY_OIDC_CLIENT_SECRET', 'when TALLY_OIDC_ISSUER is set'),
    redirectUrl: e.TALLY_OIDC_REDIRECT_URL ?? `${publicUrl}/v1/auth/oidc/callback`,
  };
}

/** An IPv4 or IPv6 address, with an optional /prefix. */
function isAddressOrCidr(value: string): boolean {
  const [address, prefix, extra] = value.split('/');
  if (extra !== undefined || !address) return false;
  const family = net.isIP(address);
  if (family === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** A host name of this machine: the one place a plain-http identity provider is accepted. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function requireFor(value: string | undefined, variable: string, when: string): string {
  if (!value) throw new ConfigError(variable, `is required ${when}`);
  return value;
}
