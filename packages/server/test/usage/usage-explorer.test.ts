import crypto from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { describe, inject, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { createSqlUsageExplorer } from '../../src/usage/sql/sql-usage-explorer.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import { openFreshDatabase } from '../support/fresh-database.js';
import { uniqueName } from '../support/services.js';
import { usageExplorerContract, type UsageExplorerHarness } from './usage-explorer-contract.js';
import { insertAccount } from '../support/test-accounts.js';

/**
 * The UsageExplorer contract on the three engines: PGlite (always), PostgreSQL and ClickHouse
 * from the real-services fixture (skipped loudly without them outside CI, failing under CI=true).
 */
const postgresUrl = inject('postgresUrl');
const clickhouseUrl = inject('clickhouseUrl');
const missing = inject('servicesMissing');

async function sqlHarness(url: string | null): Promise<UsageExplorerHarness> {
  const { db, drop } = await openFreshDatabase(url, 'usage_explorer');
  await migrateToLatest(db);
  return {
    store: createSqlUsageStore(db),
    explorer: createSqlUsageExplorer(db),
    async createOwner() {
      const id = crypto.randomUUID();
      // usage_records.owner_id references users: an owner must exist first.
      await insertAccount(db, id);
      return id;
    },
    close: drop,
  };
}

describe('UsageExplorer on PGlite', () => {
  usageExplorerContract(() => sqlHarness(null));
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
    usageExplorerContract(() => sqlHarness(postgresUrl));
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
