import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/store/database.js';
import { newEmbeddedDataDir } from './pglite-template.js';

/**
 * An empty database of its own: an embedded one (PGlite) in a temp folder when `postgresUrl` is
 * null, else a new database on that PostgreSQL server. For tests that walk migrations or need
 * a whole database on both engines (a schema of its own is not enough: the migrator's tables
 * would be shared). `drop` closes and removes it.
 */
export async function openFreshDatabase(postgresUrl: string | null, label: string): Promise<{ db: Db; drop(): Promise<void> }> {
  if (postgresUrl === null) {
    const dataDir = await newEmbeddedDataDir(`tally-${label}-`);
    const { db } = await openDatabase({ url: undefined, dataDir });
    return {
      db,
      async drop() {
        await db.destroy();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `${label.replace(/[^a-z0-9_]/gi, '_')}_${crypto.randomBytes(5).toString('hex')}`.toLowerCase();
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const { db } = await openDatabase({ url: url.toString(), dataDir: os.tmpdir() });
  return {
    db,
    async drop() {
      await db.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs `use` on a fresh database (openFreshDatabase), removed afterwards whatever happens. */
export async function withFreshDatabase(postgresUrl: string | null, label: string, use: (db: Db) => Promise<void>): Promise<void> {
  const fresh = await openFreshDatabase(postgresUrl, label);
  try {
    await use(fresh.db);
  } finally {
    await fresh.drop();
  }
}
