import fs from 'node:fs/promises';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { lockDataFolder, type DataFolderLock } from './data-folder-lock.js';
import { pglitePoolOverPort, startPgliteThread, type PgliteThread } from './pglite-thread.js';
import { poolWithPreparedStatements } from './prepared-statements.js';

export type Db = Kysely<Database>;
export type DatabaseEngine = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://... for PostgreSQL; absent for the embedded PGlite in `dataDir`. */
  url: string | undefined;
  dataDir: string;
  /** Postgres schema to use (tests give each file its own). */
  schema?: string;
  /**
   * Told of connection failures (a database restart, failover or network blip): they are never
   * fatal, the failed statement rejects and the pool connects again for the next one.
   */
  onConnectionError?: (error: Error) => void;
  /** PGlite: what holds the data folder, named to another process that finds it held (`tally serve`...). */
  holder?: string;
  /** PGlite from a run thread: its port to the main thread's database thread (the folder is not opened again). */
  pglitePort?: MessagePort;
  /** PostgreSQL: the pool's size and its bounded wait for a connection (POOL_MAX, POOL_WAIT_MS when absent; tests lower them). */
  pool?: { max?: number; waitMs?: number };
  /** PostgreSQL: repeated statements prepared once per connection (prepared-statements.ts); on when absent. */
  preparedStatements?: boolean;
}

/** Connections a node's pool opens to PostgreSQL (its lease heartbeat has one more of its own). */
export const POOL_MAX = 10;
/**
 * How long a statement waits for a pooled connection, or for a new one to open, before it fails
 * as a connection error: an HTTP request then answers 503 SERVICE_UNAVAILABLE with Retry-After, a
 * WebSocket command an error frame with the same code, a run's event write is tried again. Under
 * overload a request is refused within this bound instead of hanging (issue 19). Not shorter:
 * the runs in flight wait in the same queue, and a usage read that fails ends its run (with 5 s,
 * 3 of 500 runs of event-delivery failed on a machine at load 20 whose usage reads waited up to 9 s).
 */
export const POOL_WAIT_MS = 10_000;

/** The relational store, and a second handle for the run leases (see `leaseDb`). */
export interface OpenedDatabase {
  db: Db;
  /**
   * A connection of its own for the run workers' lease heartbeat on PostgreSQL, so a renewal never
   * waits behind event writes for a pooled connection; absent on PGlite (one connection: use `db`).
   * The caller destroys it.
   */
  leaseDb?: Db;
  engine: DatabaseEngine;
  /** PGlite: the database thread, for ports of other threads. */
  pglite?: PgliteThread;
  /** PGlite: this process's hold on the data folder (released when the database is destroyed). */
  dataFolder?: DataFolderLock;
}

/**
 * Opens the relational store: PostgreSQL when a URL is given, else PGlite in the data folder, on a
 * database thread of its own (store/pglite-thread.ts) and held by this process alone
 * (store/data-folder-lock.ts).
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  if (options.url) {
    const pool = openPostgresPool(options, options.pool?.max ?? POOL_MAX);
    if (options.schema) {
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      } finally {
        client.release();
      }
    }
    const prepared = (p: pg.Pool): PostgresPool => (options.preparedStatements === false ? p : poolWithPreparedStatements(p));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: prepared(pool) }) });
    const leaseDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: prepared(openPostgresPool(options, 1)) }) });
    return { db, leaseDb, engine: 'postgres' };
  }
  if (options.pglitePort) {
    // A run thread: the database thread's folder is held by the main thread that started it.
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: pglitePoolOverPort(options.pglitePort) }) }), engine: 'pglite' };
  }
  const dir = path.join(options.dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const lock = await lockDataFolder(options.dataDir, options.holder ?? 'tally');
  const pglite = await startPgliteThread(dir).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const pool: PostgresPool = {
    connect: () => pglite.pool.connect(),
    async end() {
      await pglite.pool.end();
      await lock.release();
    },
  };
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: 'pglite', pglite, dataFolder: lock };
}

/**
 * A pg pool that survives its server: pg emits 'error' on a client whose connection ends (on an
 * idle one through the pool, on a checked-out one on the client itself), and an 'error' event
 * nobody listens to ends the process. Both are listened to; the statement in flight rejects, the
 * broken client is dropped on release, and the next statement connects again.
 */
function openPostgresPool(options: DatabaseOptions, max: number): pg.Pool {
  // Timestamps come back as Date and counts (int8) as strings by default; we read counts
  // through explicit casts, so pg's defaults are kept.
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    // Bounds both the wait for a free connection (overload) and the opening of a new one (a
    // server that accepts TCP but never answers: paused, half-failed over); keep-alive finds
    // connections a network blip left dead.
    connectionTimeoutMillis: options.pool?.waitMs ?? POOL_WAIT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
  });
  const onError = (error: Error) => options.onConnectionError?.(error);
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name: ${name}`);
  return `"${name}"`;
}
