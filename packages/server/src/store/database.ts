import fs from 'node:fs/promises';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { lockDataFolder, type DataFolderLock } from './data-folder-lock.js';
import { pglitePoolOverPort, startPgliteThread, type PgliteThread } from './pglite-thread.js';

export type Db = Kysely<Database>;
export type DatabaseEngine = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://... for PostgreSQL; absent for the embedded PGlite in `dataDir`. */
  url: string | undefined;
  dataDir: string;
  /** Postgres schema to use (tests give each file its own). */
  schema?: string;
  /** PGlite: what holds the data folder, named to another process that finds it held (`tally serve`...). */
  holder?: string;
  /** PGlite from a run thread: its port to the main thread's database thread (the folder is not opened again). */
  pglitePort?: MessagePort;
}

/**
 * Opens the relational store: PostgreSQL when a URL is given, else PGlite in the data folder, on a
 * database thread of its own (store/pglite-thread.ts) and held by this process alone
 * (store/data-folder-lock.ts).
 */
export async function openDatabase(
  options: DatabaseOptions,
): Promise<{ db: Db; engine: DatabaseEngine; pglite?: PgliteThread; dataFolder?: DataFolderLock }> {
  if (options.url) {
    // Timestamps come back as Date and counts (int8) as strings by default; we read counts
    // through explicit casts, so pg's defaults are kept.
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 10,
      ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
    });
    if (options.schema) {
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      } finally {
        client.release();
      }
    }
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres' };
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

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name: ${name}`);
  return `"${name}"`;
}
