import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import pg from 'pg';
import { describe, inject, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import { usageStoreContract, type UsageStoreHarness } from './usage-store-contract.js';
import { insertAccount } from '../support/test-accounts.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * The UsageStore contract over both SQL engines, through the same code path: the embedded PGlite
 * (always available) and PostgreSQL from the real-services fixture. Without PostgreSQL its run is
 * skipped loudly outside CI and fails under CI=true.
 *
 * On PostgreSQL this file takes a throw-away database rather than a schema: Kysely's Migrator,
 * without `migrationTableSchema`, finds its lock table by name in ANY schema, so a schema of a
 * test file running alongside makes migrateToLatest skip creating it and fail.
 */
const postgresUrl = inject('postgresUrl');
const postgresMissing = inject('servicesMissing')['postgres'] ?? 'no PostgreSQL URL was provided';

async function harness(db: Db, cleanup: () => Promise<void>): Promise<UsageStoreHarness> {
  await migrateToLatest(db);
  return {
    // The one-statement analysis reads too (the server offers them on PostgreSQL only): the same SQL on both engines.
    store: createSqlUsageStore(db, { analysisInOneStatement: true }),
    async createOwner() {
      const id = crypto.randomUUID();
      // usage_records.owner_id references users: an owner must exist first.
      await insertAccount(db, id);
      return id;
    },
    close: cleanup,
  };
}

/** Runs one statement on the server's own database; the name in it is made of hex digits only. */
async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('SqlUsageStore on PGlite', () => {
  usageStoreContract(async () => {
    const dataDir = await newEmbeddedDataDir('tally-usage-store-');
    const { db } = await openDatabase({ url: undefined, dataDir });
    return harness(db, async () => {
      await db.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
    });
  });
});

if (postgresUrl) {
  describe('SqlUsageStore on PostgreSQL', () => {
    usageStoreContract(async () => {
      const name = `usage_store_${crypto.randomBytes(5).toString('hex')}`;
      await admin(postgresUrl, `CREATE DATABASE ${name}`);
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      const { db } = await openDatabase({ url: url.toString(), dataDir: os.tmpdir() });
      return harness(db, async () => {
        await db.destroy();
        await admin(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    });
  });
} else if (process.env['CI'] === 'true') {
  describe('SqlUsageStore on PostgreSQL', () => {
    it('needs PostgreSQL under CI=true', () => {
      throw new Error(`PostgreSQL is required under CI=true: ${postgresMissing}`);
    });
  });
} else {
  console.warn(`\n!!! SqlUsageStore on PostgreSQL SKIPPED: ${postgresMissing}\n`);
  describe.skip(`SqlUsageStore on PostgreSQL (SKIPPED: ${postgresMissing})`, () => {
    it('runs the contract', () => {});
  });
}
