import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import pg from 'pg';
import { describe, inject, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { createSqlUsageExplorer } from '../../src/usage/sql/sql-usage-explorer.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import { uniqueName } from '../support/services.js';
import { usageExplorerContract, type UsageExplorerHarness } from './usage-explorer-contract.js';

/**
 * The UsageExplorer contract on the three engines: PGlite (always), PostgreSQL and ClickHouse
 * from the real-services fixture (skipped loudly without them outside CI, failing under CI=true).
 */
const postgresUrl = inject('postgresUrl');
const clickhouseUrl = inject('clickhouseUrl');
const missing = inject('servicesMissing');

async function sqlHarness(db: Db, cleanup: () => Promise<void>): Promise<UsageExplorerHarness> {
  await migrateToLatest(db);
  return {
    store: createSqlUsageStore(db),
    explorer: createSqlUsageExplorer(db),
    async createOwner() {
      const id = crypto.randomUUID();
      await db.insertInto('users').values({ id, email: `${id}@test.invalid`, password_hash: 'x', role: 'member' }).execute();
      return id;
    },
    close: cleanup,
  };
}

async function pgAdmin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('UsageExplorer on PGlite', () => {
  usageExplorerContract(async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-usage-explorer-'));
    const { db } = await openDatabase({ url: undefined, dataDir });
    return sqlHarness(db, async () => {
      await db.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
    });
  });
});

function needs(name: string, reason: string): void {
  if (process.env['CI'] === 'true') {
    describe(`UsageExplorer on ${name}`, () => {
      it(`needs ${name} under CI=true`, () => {
        throw new Error(`${name} is required under CI=true: ${reason}`);
      });
    });
  } else {
    console.warn(`\n!!! UsageExplorer on ${name} SKIPPED: ${reason}\n`);
    describe.skip(`UsageExplorer on ${name} (SKIPPED: ${reason})`, () => {
      it('runs the contract', () => {});
    });
  }
}

if (postgresUrl) {
  describe('UsageExplorer on PostgreSQL', () => {
    usageExplorerContract(async () => {
      // A throw-away database, as sql-usage-store.test.ts says why.
      const name = `usage_explorer_${crypto.randomBytes(5).toString('hex')}`;
      await pgAdmin(postgresUrl, `CREATE DATABASE ${name}`);
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      const { db } = await openDatabase({ url: url.toString(), dataDir: os.tmpdir() });
      return sqlHarness(db, async () => {
        await db.destroy();
        await pgAdmin(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    });
  });
} else {
  needs('PostgreSQL', missing['postgres'] ?? 'no PostgreSQL URL was provided');
}

if (clickhouseUrl) {
  describe('UsageExplorer on ClickHouse', () => {
    usageExplorerContract(async () => {
      const database = uniqueName('tally_test');
      const store = await createClickHouseUsageStore({ url: clickhouseUrl, database });
      return {
        store,
        explorer: store.explorer,
        createOwner: async () => crypto.randomUUID(),
        async close() {
          await store.close();
          const admin = createClient({ url: clickhouseUrl });
          try {
            await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
          } finally {
            await admin.close();
          }
        },
      };
    });
  });
} else {
  needs('ClickHouse', missing['clickhouse'] ?? 'no ClickHouse URL was provided');
}
