import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { repriceFormula } from '../../src/pricing/reprice-formula.js';
import { callOf } from '../../src/pricing/reprice-jobs.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createSqlUsageRepricing } from '../../src/usage/sql/sql-usage-reprice.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import type { RepriceRow, UsageRepricing } from '../../src/pricing/repricing-store.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { uniqueName } from '../support/services.js';
import { insertAccount } from '../support/test-accounts.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * The database re-prices every record to the very double `priceCall` gives it (reprice-formula.ts
 * writes the catalog's plans out as SQL): on PGlite and ClickHouse, for flat, tiered (above 200k
 * input tokens), batch, 1-hour cache-write, discounted, overridden and unknown models. A preview's
 * totals equal its application's, and nothing is left to change after it.
 */
const clickhouseUrl = inject('clickhouseUrl');

const stored = createGenaiPriceCatalog();
const next = createGenaiPriceCatalog({
  discounts: { openai: 0.17, google: 0.05 },
  overrides: [{ model: 'claude-haiku-4-5', inputPerMTok: 0.7, outputPerMTok: 3.3, cacheReadPerMTok: 0.07, cacheWritePerMTok: 0.9, cacheWrite1hPerMTok: 1.4 }],
});

function records(): UsageRecord[] {
  const base = generateUsage({ seed: 5, days: 3, requestsPerDay: 300, end: new Date('2026-03-03T00:00:00Z') });
  const at = (i: number) => new Date(Date.UTC(2026, 2, 1, 1, i)).toISOString();
  const extra = [
    // Tiered prices: above and at 200k input tokens (Gemini 2.5 Pro, Claude Sonnet 4.5).
    { model: 'gemini-2.5-pro', inputTokens: 250_000, outputTokens: 1_200, cacheReadTokens: 30_000 },
    { model: 'gemini-2.5-pro', inputTokens: 200_000, outputTokens: 7 },
    { model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 190_000, cacheWriteTokens: 9_000, cacheWrite1hTokens: 12_000, outputTokens: 900 },
    { model: 'claude-sonnet-4-5', inputTokens: 10, cacheReadTokens: 150_000, cacheWrite1hTokens: 70_000, outputTokens: 3, batch: true },
    { model: 'claude-haiku-4-5', inputTokens: 1_000, cacheWriteTokens: 500, cacheWrite1hTokens: 700, outputTokens: 20 },
    { model: 'gpt-4o', provider: 'openai', inputTokens: 3_333, cacheReadTokens: 1_024, outputTokens: 77, batch: true },
    { model: 'a-model-nobody-prices', inputTokens: 5, outputTokens: 5 },
  ].map((r, i) => UsageRecordSchema.parse({ ts: at(i), ...r }));
  return [...base, ...extra];
}

async function storedRows(repricing: UsageRepricing): Promise<RepriceRow[]> {
  const rows: RepriceRow[] = [];
  await repricing.scan(async (page) => void rows.push(...page));
  return rows;
}

function checks(open: () => Promise<{ store: UsageStore; repricing: UsageRepricing; owner: string; close: () => Promise<void> }>) {
  let harness: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    harness = await open();
    await harness.store.insert(
      harness.owner,
      records().map((r) => priceUsageRecord(stored, r)),
    );
  }, 120_000);
  afterAll(async () => harness?.close());

  it('computes every new cost bit for bit as priceCall, and applies what it previewed', { timeout: 120_000 }, async () => {
    const { repricing } = harness;
    const formula = repriceFormula(next, await repricing.storedPairs())!;
    expect(formula.priced.length).toBeGreaterThan(5);
    const chunks = await repricing.chunks(1);
    expect(chunks.length).toBeGreaterThan(1);
    const previewed = [];
    for (const chunk of chunks) previewed.push(...(await repricing.repriceChunk(chunk, formula, false)));
    const applied = [];
    for (const chunk of chunks) applied.push(...(await repricing.repriceChunk(chunk, formula, true)));
    expect(applied).toEqual(previewed);
    expect(previewed.some((m) => m.changed > 0)).toBe(true);

    const rows = await storedRows(repricing);
    expect(rows.length).toBe(records().length);
    const wrong = rows.filter((row) => !formula.library.some((p) => p.model === row.model) && !Object.is(row.costUsd, next.priceCall(callOf(row))));
    expect(wrong.map((r) => ({ model: r.model, stored: r.costUsd, expected: next.priceCall(callOf(r)) }))).toEqual([]);
    expect(rows.find((r) => r.model === 'a-model-nobody-prices')?.costUsd).toBeNull();

    for (const chunk of chunks) for (const m of await repricing.repriceChunk(chunk, formula, false)) expect(m.changed, m.model).toBe(0);
  });

  it('writes record by record what only the library prices (here: every record, back to the stored prices), rollups in step', { timeout: 120_000 }, async () => {
    const { repricing, store, owner } = harness;
    let written = 0;
    await repricing.scan(async (page) => {
      const changes = page.map((row) => ({ row, costUsd: stored.priceCall(callOf(row)) })).filter((c) => !Object.is(c.costUsd, c.row.costUsd));
      written += await repricing.writeCosts(changes);
    });
    await repricing.finish();
    expect(written).toBeGreaterThan(0);
    const rows = await storedRows(repricing);
    expect(rows.filter((row) => !Object.is(row.costUsd, stored.priceCall(callOf(row))))).toEqual([]);
    const sum = (list: { costUsd: number }[]) => list.reduce((total, r) => total + r.costUsd, 0);
    expect(sum(await store.aggregate(owner))).toBeCloseTo(sum(await store.aggregate(owner, { from: '2000-01-01T00:00:00.001Z' })), 9);
  });
}

describe('re-pricing formula on PGlite', () => {
  checks(async () => {
    const dataDir = await newEmbeddedDataDir('tally-reprice-formula-');
    const { db }: { db: Db } = await openDatabase({ url: undefined, dataDir });
    await migrateToLatest(db);
    const owner = crypto.randomUUID();
    await insertAccount(db, owner);
    return {
      store: createSqlUsageStore(db),
      repricing: createSqlUsageRepricing(db),
      owner,
      close: async () => {
        await db.destroy();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  });
});

describe.skipIf(!clickhouseUrl)('re-pricing formula on ClickHouse', () => {
  checks(async () => {
    const database = uniqueName('tally_reprice_formula');
    const store = await createClickHouseUsageStore({ url: clickhouseUrl!, database });
    return {
      store,
      repricing: store.repricing,
      owner: crypto.randomUUID(),
      close: async () => {
        await store.close();
        const admin = createClient({ url: clickhouseUrl! });
        await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
        await admin.close();
      },
    };
  });
});

