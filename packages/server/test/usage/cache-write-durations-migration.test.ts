import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { UsageRecordSchema } from '@tally/protocol';
import { describe, expect, inject, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createRecordReads } from '../../src/usage/sql/sql-usage-raw-reads.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * Migration 0010 on a database holding usage from before it: the schema is brought to the
 * version just before 0010, records (and their rollups) are written as that Tally wrote them,
 * then the schema goes to the latest. Old rows keep their cache writes and their price, and count
 * as 5-minute writes; new rows carry 1-hour writes apart, in the records and the rollups alike.
 */
const postgresUrl = inject('postgresUrl');
const MIGRATION = '0010-cache-write-durations';
const before = MIGRATION_NAMES[MIGRATION_NAMES.indexOf(MIGRATION) - 1]!;

async function check(db: Db): Promise<void> {
  await migrateTo(db, before);
  const owner = crypto.randomUUID();
  await db.insertInto('users').values({ id: owner, email: `${owner}@test.invalid`, password_hash: 'x', role: 'member' }).execute();
  // The old store's insert, columns of 0008 only: one record, and its rollups as the store kept them.
  await sql`INSERT INTO usage_records (owner_id, record_key, ts, provider, model, project, feature, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, status, interactive, batch, prompt_prefix_hash, prefix_tokens, attempt, cost_usd)
    VALUES (${owner}, 'old', '2026-09-01T10:00:00Z', 'anthropic', 'claude-sonnet-4-5', 'app', 'chat', 10, 5, 0, 1000, 'ok', true, false, 'p', 1010, 1, 0.003855)`.execute(db);
  await sql`INSERT INTO usage_daily VALUES (${owner}, '2026-09-01', 'anthropic', 'claude-sonnet-4-5', 'app', 'chat', 'ok', true, false,
      1, 0, 10, 5, 0, 1000, 0, 0.003855, 0, 0, 0, '2026-09-01T10:00:00Z', '2026-09-01T10:00:00Z')`.execute(db);
  await sql`INSERT INTO usage_prefix_buckets VALUES (${owner}, 'claude-sonnet-4-5', 'anthropic', 'app', 'chat', 'p',
      ${Math.floor(Date.parse('2026-09-01T10:00:00Z') / 300_000)}, 1, 1010, 0, 1000, '2026-09-01T10:00:00Z', '2026-09-01T10:00:00Z')`.execute(db);

  await migrateToLatest(db);
  const store = createSqlUsageStore(db);
  const prices = createGenaiPriceCatalog();
  const fresh = priceUsageRecord(
    prices,
    UsageRecordSchema.parse({ id: 'new', ts: '2026-09-01T10:03:00Z', provider: 'anthropic', model: 'claude-sonnet-4-5', project: 'app', feature: 'chat', inputTokens: 10, outputTokens: 5, cacheWriteTokens: 100, cacheWrite1hTokens: 2000, promptPrefixHash: 'p', prefixTokens: 2110 }),
  );
  await store.insert(owner, [fresh]);

  // Whole days come from the rollups, the records answer the rest: both must agree.
  const records = createRecordReads(db);
  for (const reads of [store, records]) {
    const [row, ...rest] = await reads.aggregate(owner);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({ requests: 2, cacheWriteTokens: 1100, cacheWrite1hTokens: 2000 });
    // Sonnet 4.5 list prices (USD/MTok): input 3, 5-minute write 3.75, 1-hour write 6, output 15.
    // The old row keeps the price it was stored with (all its writes at the 5-minute rate).
    const newCost = (3 * 10 + 3.75 * 100 + 6 * 2000 + 15 * 5) / 1e6;
    expect(row!.costUsd).toBeCloseTo(0.003855 + newCost, 12);
    const [prefix] = await reads.prefixStats(owner);
    expect(prefix).toMatchObject({ requests: 2, cacheWriteTokens: 1100, cacheWrite1hTokens: 2000, coldStarts: 1 });
  }
  const old = await db.selectFrom('usage_records').select(['cache_write_tokens', 'cache_write_1h_tokens']).where('record_key', '=', 'old').executeTakeFirstOrThrow();
  expect({ ...old, cache_write_1h_tokens: Number(old.cache_write_1h_tokens) }).toEqual({ cache_write_tokens: 1000, cache_write_1h_tokens: 0 });

  // And back down: the column goes, the old store's columns stay.
  await migrateTo(db, before);
  const columns = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'cache_write_1h_tokens' AND table_schema = current_schema()`.execute(db);
  expect(columns.rows[0]!.n).toBe(0);
}

describe('migration 0010 (cache writes by duration) over data from before it', () => {
  it('on PGlite', async () => {
    const dataDir = await newEmbeddedDataDir('tally-0010-');
    const { db } = await openDatabase({ url: undefined, dataDir });
    try {
      await check(db);
    } finally {
      await db.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it.runIf(postgresUrl)('on PostgreSQL', async () => {
    const name = `m0010_${crypto.randomBytes(5).toString('hex')}`;
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: postgresUrl! });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    const { db } = await openDatabase({ url: url.toString(), dataDir: os.tmpdir() });
    try {
      await check(db);
    } finally {
      await db.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }, 120_000);
});
