import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { createClient } from '@clickhouse/client';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import type { LivePriceCatalog } from '../../src/pricing/live-price-catalog.js';
import type { PriceCatalog } from '../../src/pricing/price-catalog.js';
import { createRepriceJobs, type RepriceJobView } from '../../src/pricing/reprice-jobs.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { createSeededRandom } from '../../src/usage/demo/seeded-random.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createSqlUsageRepricing } from '../../src/usage/sql/sql-usage-reprice.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import type { UsageRepricing } from '../../src/pricing/repricing-store.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { uniqueName } from '../support/services.js';
import { insertAccount } from '../support/test-accounts.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * Re-pricing at volume through the real job runner (pricing/reprice-jobs.ts), on PGlite,
 * PostgreSQL and ClickHouse: a preview with progress, its application, and a second preview that
 * finds nothing left to change. 20,000 records on PostgreSQL and ClickHouse by default; the run over millions is
 * `npm run bench:reprice` (TALLY_REPRICE_RECORDS=2000000), whose figures go in docs/BENCHMARKS.md.
 */
const RECORDS = Number(process.env['TALLY_REPRICE_RECORDS'] ?? 20_000);
// PGlite's run is the same SQL as PostgreSQL's (and its migrations alone take half a minute): in the bench run only by default.
const ENGINES = (process.env['TALLY_REPRICE_ENGINES'] ?? (process.env['TALLY_REPRICE_RECORDS'] ? 'pglite,postgres,clickhouse' : 'postgres,clickhouse')).split(',');
const postgresUrl = inject('postgresUrl');
const clickhouseUrl = inject('clickhouseUrl');
const OWNERS = 4;
const DAYS = 30;
const MODELS = [
  { model: 'gpt-4o', provider: 'openai' },
  { model: 'gpt-4.1-mini', provider: 'openai' },
  { model: 'claude-sonnet-4-5', provider: 'anthropic' },
  { model: 'claude-haiku-4-5', provider: 'anthropic' },
  { model: 'gemini-2.5-pro', provider: 'google' },
  { model: 'gemini-2.5-flash', provider: undefined },
  { model: 'an-in-house-model', provider: 'self-hosted' },
];
const before = createGenaiPriceCatalog();
const after = createGenaiPriceCatalog({
  discounts: { openai: 0.2, anthropic: 0.1 },
  overrides: [{ model: 'an-in-house-model', inputPerMTok: 0.05, outputPerMTok: 0.1 }],
});
const figures: string[] = [];

interface Engine {
  store: UsageStore;
  repricing: UsageRepricing;
  /** The SQL database holding the jobs (and, for the SQL stores, the records). */
  jobsDb: Db;
  owners: string[];
  close(): Promise<void>;
}

async function sqlDatabase(kind: 'pglite' | 'postgres'): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = await newEmbeddedDataDir('tally-reprice-volume-');
    const { db } = await openDatabase({ url: undefined, dataDir });
    return { db, drop: async () => fs.rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `reprice_volume_${crypto.randomBytes(5).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: postgresUrl! });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  const { db } = await openDatabase({ url: url.toString(), dataDir: os.tmpdir() });
  return { db, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function open(kind: string): Promise<Engine> {
  // ClickHouse's jobs table goes in PostgreSQL when there is one: PGlite's migrations alone take half a minute.
  const { db, drop } = await sqlDatabase(kind === 'postgres' || (kind === 'clickhouse' && postgresUrl) ? 'postgres' : 'pglite');
  await migrateToLatest(db);
  const owners = Array.from({ length: OWNERS }, () => crypto.randomUUID());
  for (const id of owners) await insertAccount(db, id);
  const closeDb = async () => {
    await db.destroy();
    await drop();
  };
  if (kind !== 'clickhouse') return { store: createSqlUsageStore(db), repricing: createSqlUsageRepricing(db), jobsDb: db, owners, close: closeDb };
  const database = uniqueName('tally_reprice_volume');
  const store = await createClickHouseUsageStore({ url: clickhouseUrl!, database });
  return {
    store,
    repricing: store.repricing,
    jobsDb: db,
    owners,
    async close() {
      await store.close();
      const admin = createClient({ url: clickhouseUrl! });
      await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}` .text });
      await admin.close();
      await closeDb();
    },
  };
}

/** RECORDS records over OWNERS owners and DAYS days, priced with `before`, stored in batches. */
async function fill(engine: Engine): Promise<void> {
  const random = createSeededRandom(77);
  const start = Date.UTC(2026, 0, 1);
  const batchSize = 10_000;
  for (const [o, owner] of engine.owners.entries()) {
    const share = Math.floor(RECORDS / OWNERS) + (o < RECORDS % OWNERS ? 1 : 0);
    const session = engine.store.openIngest?.(owner);
    for (let done = 0; done < share; done += batchSize) {
      const batch = [];
      for (let i = done; i < Math.min(share, done + batchSize); i++) {
        const { model, provider } = MODELS[random.int(0, MODELS.length - 1)]!;
        // Built whole (every default set) rather than parsed: millions of records load faster.
        const record: UsageRecord = {
          id: `${o}-${i}`,
          ts: new Date(start + Math.floor((i / share) * DAYS * 86_400_000)).toISOString(),
          model,
          ...(provider ? { provider } : {}),
          project: 'default',
          feature: `feature-${i % 5}`,
          inputTokens: random.int(10, random.chance(0.02) ? 260_000 : 8_000),
          outputTokens: random.int(1, 2_000),
          cacheReadTokens: random.chance(0.4) ? random.int(0, 50_000) : 0,
          cacheWriteTokens: random.chance(0.1) ? random.int(0, 5_000) : 0,
          cacheWrite1hTokens: random.chance(0.05) ? random.int(0, 5_000) : 0,
          status: 'ok',
          interactive: true,
          batch: random.chance(0.1),
          attempt: 1,
        };
        batch.push(priceUsageRecord(before, record));
      }
      if (session) await session.insert(batch);
      else await engine.store.insert(owner, batch);
    }
    await session?.finish();
  }
}

/** The job runner with `catalog` in force (the live catalog's part a job uses). */
function jobs(engine: Engine, catalog: PriceCatalog) {
  const prices = { current: () => ({ catalog, fingerprint: 'volume' }), reload: async () => {} } as unknown as LivePriceCatalog;
  return createRepriceJobs({ db: engine.jobsDb, repricing: engine.repricing, prices, logger: pino({ level: 'silent' }) });
}

async function run(engine: Engine, start: (j: ReturnType<typeof jobs>) => Promise<RepriceJobView>, catalog: PriceCatalog) {
  const j = jobs(engine, catalog);
  const started = performance.now();
  const job = await start(j);
  const percents: number[] = [];
  for (;;) {
    const polled = await j.get(job.id);
    percents.push(polled.progress.percent);
    if (polled.status !== 'running') {
      await j.close();
      return { job: polled, seconds: (performance.now() - started) / 1000, percents };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(() => console.log(`\nre-pricing volume (${RECORDS} records):\n${figures.join('\n')}`));

// Only the engines asked for are registered: an engine left out by choice is not a skipped test.
for (const kind of ['pglite', 'postgres', 'clickhouse'].filter((engine) => ENGINES.includes(engine))) {
  const missing = kind === 'postgres' && !postgresUrl ? 'no PostgreSQL' : kind === 'clickhouse' && !clickhouseUrl ? 'no ClickHouse' : null;
  describe.skipIf(missing !== null)(`re-pricing ${RECORDS.toLocaleString('en')} records on ${kind} ${missing ?? ''}`, () => {
    it('previews with progress, applies the previewed totals, then finds nothing to change', { timeout: Math.max(300_000, RECORDS * 2) }, async () => {
      const engine = await open(kind);
      try {
        const loadStart = performance.now();
        await fill(engine);
        const loadSeconds = (performance.now() - loadStart) / 1000;

        const preview = await run(engine, (j) => j.startPreview(engine.owners[0]!), after);
        expect(preview.job.status, preview.job.error ?? '').toBe('done');
        expect(preview.job.progress.rowsDone).toBe(RECORDS);
        expect(preview.job.progress.rowsChanged).toBeGreaterThan(0);
        expect(preview.percents.every((p, i) => i === 0 || p >= preview.percents[i - 1]!)).toBe(true);

        const applied = await run(engine, (j) => j.startApply(engine.owners[0]!, preview.job.id), after);
        expect(applied.job.status, applied.job.error ?? '').toBe('done');
        expect(applied.job.models).toEqual(preview.job.models);
        expect(applied.job.totals).toEqual(preview.job.totals);

        const again = await run(engine, (j) => j.startPreview(engine.owners[0]!), after);
        expect(again.job.progress.rowsChanged).toBe(0);
        expect(again.job.totals!.oldCostUsd).toBe(preview.job.totals!.newCostUsd);
        // The rollups followed the records: the store's whole-day sums hold the new costs.
        const owner = engine.owners[0]!;
        const rolled = (await engine.store.aggregate(owner)).reduce((sum, r) => sum + r.costUsd, 0);
        const raw = (await engine.store.aggregate(owner, { from: '2000-01-01T00:00:00.001Z' })).reduce((sum, r) => sum + r.costUsd, 0);
        expect(rolled).toBeCloseTo(raw, 6);

        const rate = (s: number) => Math.round(RECORDS / s).toLocaleString('en');
        figures.push(
          `  ${kind.padEnd(10)} load ${loadSeconds.toFixed(1)} s; preview ${preview.seconds.toFixed(1)} s (${rate(preview.seconds)} rows/s, ${preview.percents.length} polls); ` +
            `apply ${applied.seconds.toFixed(1)} s (${rate(applied.seconds)} rows/s, ${applied.job.progress.rowsChanged.toLocaleString('en')} changed); second preview ${again.seconds.toFixed(1)} s`,
        );
      } finally {
        await engine.close();
      }
    });
  });
}
