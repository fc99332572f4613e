import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { emptyBucket, type BillingBucket } from '../../src/connectors/billing-bucket.js';
import { readBuckets, upsertBuckets } from '../../src/connectors/billing-bucket-store.js';
import type { Db } from '../../src/store/database.js';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { withFreshDatabase } from '../support/fresh-database.js';

/**
 * Migration 0016 and the billing bucket store on both engines: a bucket stored twice is one row
 * holding the latest figures (a partial day corrected, not added to), reads see only their
 * workspace, and the migration goes down cleanly.
 */
const postgresUrl = inject('postgresUrl');
const before = MIGRATION_NAMES[MIGRATION_NAMES.indexOf('0016-provider-billing') - 1]!;

function usage(day: string, model: string, input: number): BillingBucket {
  return { ...emptyBucket('usage', '1d', new Date(`${day}T00:00:00Z`)), model, batch: 'false', requests: 1, inputTokens: input, outputTokens: 7 };
}

async function check(db: Db): Promise<void> {
  await migrateToLatest(db);
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
  await db.insertInto('workspaces').values([{ id: a, name: 'A' }, { id: b, name: 'B' }]).execute();

  await upsertBuckets(db, a, 'openai', [usage('2026-11-01', 'gpt-4o', 100), usage('2026-11-02', 'gpt-4o', 50)]);
  // The partial 2026-11-02 fetched again with new figures replaces the stored one.
  await upsertBuckets(db, a, 'openai', [usage('2026-11-02', 'gpt-4o', 80)]);
  const cost = { ...emptyBucket('cost', '1d', new Date('2026-11-01T00:00:00Z')), lineItem: 'input tokens', costUsd: 12.34 };
  await upsertBuckets(db, a, 'anthropic', [cost]);
  await upsertBuckets(db, b, 'openai', [usage('2026-11-01', 'gpt-4o', 999_999_999_999)]);

  const mine = await readBuckets(db, a, { provider: 'openai' });
  expect(mine.map((r) => [r.bucketStart.toISOString(), r.inputTokens])).toEqual([
    ['2026-11-01T00:00:00.000Z', 100],
    ['2026-11-02T00:00:00.000Z', 80],
  ]);
  expect(await readBuckets(db, a, { kind: 'cost' })).toMatchObject([{ provider: 'anthropic', costUsd: 12.34, lineItem: 'input tokens' }]);
  expect(await readBuckets(db, a, { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z') })).toHaveLength(1);
  expect((await readBuckets(db, b))[0]!.inputTokens).toBe(999_999_999_999);

  // Same key twice in one call: summed, not refused.
  await upsertBuckets(db, b, 'anthropic', [usage('2026-11-05', 'claude', 1), usage('2026-11-05', 'claude', 2)]);
  expect((await readBuckets(db, b, { provider: 'anthropic' }))[0]!.inputTokens).toBe(3);

  // Deleting a workspace takes its buckets.
  await db.deleteFrom('workspaces').where('id', '=', b).execute();
  expect(await readBuckets(db, b)).toEqual([]);

  await migrateTo(db, before);
  const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
    WHERE table_name IN ('provider_connections', 'provider_billing_buckets', 'workspace_usage_sources') AND table_schema = current_schema()`.execute(db);
  expect(tables.rows[0]!.n).toBe(0);
}

describe('migration 0016 and the billing bucket store', () => {
  it('on PGlite', () => withFreshDatabase(null, 'm0016', check), 120_000);
  it.runIf(postgresUrl)('on PostgreSQL', () => withFreshDatabase(postgresUrl!, 'm0016', check), 120_000);
});
