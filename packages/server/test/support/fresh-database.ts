import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/store/database.js';

/**
 * Runs `use` on an empty database of its own, removed afterwards: an embedded one (PGlite) in a
 * temp folder when `postgresUrl` is null, else a new database on that PostgreSQL server. For tests
 * that walk migrations on both engines (a schema of its own is not enough: the migrator's tables
 * would be shared).
 */
export async function withFreshDatabase(postgresUrl: string | null, label: string, use: (db: Db) => Promise<void>): Promise<void> {
  if (postgresUrl === null) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `tally-${label}-`));
    const { db } = await openDatabase({ url: undefined, dataDir });
    try {
      await use(db);
    } finally {
      await db.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    return;
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
  try {
    await use(db);
  } finally {
    await db.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
