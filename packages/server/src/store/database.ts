import fs from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { createPglitePool } from './pglite-pool.js';

export type Db = Kysely<Database>;
export type DatabaseEngine = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://... for PostgreSQL; absent for the embedded PGlite in `dataDir`. */
  url: string | undefined;
  dataDir: string;
  /** Postgres schema to use (tests give each file its own). */
  schema?: string;
}

/** Opens the relational store: PostgreSQL when a URL is given, else PGlite in the data folder. */
export async function openDatabase(options: DatabaseOptions): Promise<{ db: Db; engine: DatabaseEngine }> {
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
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = path.join(options.dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPglitePool(pglite) }) }),
    engine: 'pglite',
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name: ${name}`);
  return `"${name}"`;
}
