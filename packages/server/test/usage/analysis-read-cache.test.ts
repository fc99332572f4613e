import crypto from 'node:crypto';
import { sql, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import type { Db } from '../../src/store/database.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { createAnalysisReadCache } from '../../src/usage/analysis-read-cache.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createSqlUsageRepricing } from '../../src/usage/sql/sql-usage-reprice.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import type { AnalysisReads, PricedUsageRecord, UsageStore } from '../../src/usage/usage-store.js';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { collectingContext, seedTeamUsage, TEAM_MONTHLY_TEXT } from '../agents/supervisor-fixtures.js';
import { openFreshDatabase } from '../support/fresh-database.js';
import { insertAccount } from '../support/test-accounts.js';

const postgresUrl = inject('postgresUrl');
const engines: Array<[string, string | null]> = [['embedded', null], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];
/** Both ways the store reads: one statement (the server's way on PostgreSQL), and a statement per read (on the embedded store). */
const ways: Array<[string, boolean]> = [
  ['in one statement', true],
  ['a statement per read', false],
];

const prices = createGenaiPriceCatalog();
const priced = (seed: number, days = 3): PricedUsageRecord[] =>
  [...generateUsage({ seed, days, requestsPerDay: 40, end: new Date('2026-11-01T00:00:00Z') })].map((r) => priceUsageRecord(prices, r));
const totalCost = (reads: AnalysisReads) => reads.rows.reduce((total, r) => total + r.costUsd, 0);

/** A plugin that counts the statements a Kysely instance sends. */
function statementCounter(): KyselyPlugin & { count: number } {
  const counter = {
    count: 0,
    transformQuery: (args: Parameters<KyselyPlugin['transformQuery']>[0]) => {
      counter.count++;
      return args.node;
    },
    transformResult: async (args: Parameters<KyselyPlugin['transformResult']>[0]) => args.result,
  };
  return counter;
}

/**
 * The analysis reads a node keeps between runs (usage/analysis-read-cache.ts), checked against the
 * workspace's usage version (migration 0018) before each use: what is answered from memory is always
 * what a read would give, whichever node or job changed the data.
 */
describe.each(engines)('kept analysis reads (%s)', (_engine, url) => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await openFreshDatabase(url, 'analysis_cache'));
    await migrateToLatest(db);
  }, 60_000);
  afterAll(async () => drop?.());

  const newWorkspace = async () => {
    const id = crypto.randomUUID();
    await insertAccount(db, id);
    return id;
  };
  /** The reads as a store that keeps nothing gives them, one by one. */
  const readDirectly = async (workspaceId: string): Promise<AnalysisReads> => {
    const plain = createSqlUsageStore(db);
    return { rows: await plain.aggregate(workspaceId), prefixStats: await plain.prefixStats(workspaceId), outputStats: await plain.outputStats(workspaceId) };
  };

  it('gives a workspace versions that only grow: past a version ahead of the clock, and past one restored from an older backup', async () => {
    const workspace = await newWorkspace();
    const store = createSqlUsageStore(db);
    const versionOf = async () => BigInt((await sql<{ v: string }>`SELECT version::text AS v FROM usage_versions WHERE owner_id = ${workspace}::uuid`.execute(db)).rows[0]!.v);
    await store.insert(workspace, priced(12));
    const first = await versionOf();
    await store.insert(workspace, priced(13));
    const second = await versionOf();
    expect(second).toBeGreaterThan(first);
    const ahead = 9_000_000_000_000_000n;
    await sql`UPDATE usage_versions SET version = ${ahead.toString()}::bigint WHERE owner_id = ${workspace}::uuid`.execute(db);
    await store.insert(workspace, priced(14));
    expect(await versionOf()).toBe(ahead + 1n);
    // As a restore would leave it: the version of a backup older than any a node has seen since.
    await sql`UPDATE usage_versions SET version = ${first.toString()}::bigint WHERE owner_id = ${workspace}::uuid`.execute(db);
    await store.insert(workspace, priced(15));
    expect(await versionOf()).toBeGreaterThan(second);
    // Duplicates only: nothing changed, no new version.
    const now = await versionOf();
    await store.insert(workspace, priced(15));
    expect(await versionOf()).toBe(now);
  });

  describe.each(ways)('%s', (_way, analysisInOneStatement) => {
    const node = (maxRows = 100_000) => {
      const counter = statementCounter();
      const store = createSqlUsageStore(db.withPlugin(counter), { analysisInOneStatement, analysisReadCache: createAnalysisReadCache({ maxRows }) });
      return { store, counter, read: (workspaceId: string) => store.analysisReads!(workspaceId) };
    };

    it('answers a workspace whose usage did not change from memory after one statement, equal to the reads one by one', async () => {
      const workspace = await newWorkspace();
      const { store, counter, read } = node();
      await store.insert(workspace, priced(1));
      const first = await read(workspace);
      expect(first.rows.length).toBeGreaterThan(10);
      expect(first.prefixStats.length).toBeGreaterThan(0);
      expect(first.outputStats.length).toBeGreaterThan(0);
      expect(first).toStrictEqual(await readDirectly(workspace));
      counter.count = 0;
      expect(await read(workspace)).toBe(first);
      expect(counter.count).toBe(1);
    });

    it('reads again after every write that changes the rollups, on this node or another, and not after duplicates', async () => {
      const workspace = await newWorkspace();
      const here = node();
      const there = node();
      const records = priced(2);
      await here.store.insert(workspace, records);
      const first = await here.read(workspace);

      await there.store.insert(workspace, records);
      expect(await here.read(workspace)).toBe(first);

      await there.store.insert(workspace, priced(3));
      const afterInsert = await here.read(workspace);
      expect(afterInsert).not.toBe(first);
      expect(afterInsert).toStrictEqual(await readDirectly(workspace));
      expect(afterInsert.rows.reduce((n, r) => n + r.requests, 0)).toBe(first.rows.reduce((n, r) => n + r.requests, 0) + priced(3).length);

      // A re-pricing changes costs only: same rows, same counts, other figures.
      const repricing = createSqlUsageRepricing(db);
      await repricing.scan(async (page) => {
        await repricing.writeCosts(page.filter((row) => row.ownerId === workspace).map((row) => ({ row, costUsd: (row.costUsd ?? 0) + 0.5 })));
      });
      const afterReprice = await here.read(workspace);
      expect(afterReprice).not.toBe(afterInsert);
      expect(afterReprice).toStrictEqual(await readDirectly(workspace));
      expect(totalCost(afterReprice) - totalCost(afterInsert)).toBeCloseTo(0.5 * (records.length + priced(3).length), 6);
    });

    it("keeps workspaces apart: a write to one leaves another's reads kept", async () => {
      const [a, b] = [await newWorkspace(), await newWorkspace()];
      const { store, read } = node();
      await store.insert(a, priced(4));
      await store.insert(b, priced(5));
      const readA = await read(a);
      const readB = await read(b);
      expect(readA).not.toStrictEqual(readB);
      await store.insert(b, priced(6));
      expect(await read(a)).toBe(readA);
      expect(await read(b)).toStrictEqual(await readDirectly(b));
    });

    it('hands out frozen reads, so no run can change the figures another run is given', async () => {
      const workspace = await newWorkspace();
      const { store, read } = node();
      await store.insert(workspace, priced(7));
      const reads = await read(workspace);
      const cost = reads.rows[0]!.costUsd;
      expect(() => {
        (reads.rows[0] as { costUsd: number }).costUsd = 0;
      }).toThrow(TypeError);
      expect(() => reads.rows.pop()).toThrow(TypeError);
      expect((await read(workspace)).rows[0]!.costUsd).toBe(cost);
    });

    it('keeps at most the rows it is given: the least recently used workspace goes first, and reads bigger than all of it are never kept', async () => {
      const [a, b] = [await newWorkspace(), await newWorkspace()];
      const sizer = node();
      await sizer.store.insert(a, priced(8));
      await sizer.store.insert(b, priced(9));
      const rowsOf = (reads: AnalysisReads) => 1 + reads.rows.length + reads.prefixStats.length + reads.outputStats.length;
      const [sizeA, sizeB] = [rowsOf(await sizer.read(a)), rowsOf(await sizer.read(b))];

      // Room for the bigger of the two, not for both.
      const small = node(Math.max(sizeA, sizeB));
      const firstA = await small.read(a);
      expect(await small.read(a)).toBe(firstA);
      await small.read(b);
      expect(await small.read(a)).not.toBe(firstA);

      const tiny = node(Math.min(sizeA, sizeB) - 1);
      const once = await tiny.read(a);
      const again = await tiny.read(a);
      expect(again).not.toBe(once);
      expect(again).toStrictEqual(once);
    });

    it("answers a run's data from memory with no statement when its overview saw the version kept, as of that overview", async () => {
      const workspace = await newWorkspace();
      const here = node();
      const there = node();
      await here.store.insert(workspace, priced(10));
      const kept = await here.read(workspace);
      const seen = await here.store.versionedOverview!(workspace);
      expect(seen.overview).toEqual(await createSqlUsageStore(db).overview(workspace));
      here.counter.count = 0;
      expect(await here.store.analysisReads!(workspace, undefined, seen.version)).toBe(kept);
      expect(here.counter.count).toBe(0);

      // Usage written after the overview: this run's data stays as of its overview; the next run's overview sees the change.
      await there.store.insert(workspace, priced(11));
      expect(await here.store.analysisReads!(workspace, undefined, seen.version)).toBe(kept);
      const next = await here.store.versionedOverview!(workspace);
      expect(next.version).not.toBe(seen.version);
      expect(next.overview.records).toBe(seen.overview.records + priced(11).length);
      const fresh = await here.store.analysisReads!(workspace, undefined, next.version);
      expect(fresh).toStrictEqual(await readDirectly(workspace));
      expect(totalCost(fresh)).toBeGreaterThan(totalCost(kept));
    });

    it('costs a question one statement before its answer once the workspace is kept: the overview', async () => {
      const workspace = await newWorkspace();
      const { store, counter } = node();
      await seedTeamUsage(store, prices, workspace);
      const ask = async () => {
        const { ctx, events } = collectingContext({ text: 'Where is my AI money going?', userId: workspace, firstInThread: true });
        counter.count = 0;
        const result = await createSupervisor({ usage: store, prices, llm: null, now: () => new Date('2025-03-11T00:00:00Z') }).run(ctx);
        return { result, events, statements: counter.count };
      };
      const first = await ask();
      const second = await ask();
      expect(first.statements).toBe(analysisInOneStatement ? 2 : 5);
      expect(second.statements).toBe(1);
      expect(second.result.answer).toBe(first.result.answer);
      expect(second.result.answer).toContain(TEAM_MONTHLY_TEXT);
    });

    it('reads a workspace with no usage every time, and empty', async () => {
      const workspace = await newWorkspace();
      const { read } = node();
      const first = await read(workspace);
      expect(first).toEqual({ rows: [], prefixStats: [], outputStats: [] });
      expect(await read(workspace)).not.toBe(first);
    });
  });
});

describe.each(engines)('usage versions of data stored before them (migration 0018, %s)', (_engine, url) => {
  it('gives every workspace that has usage a version, and none to one without', { timeout: 60_000 }, async () => {
    const { db, drop } = await openFreshDatabase(url, 'usage_versions_upgrade');
    try {
      await migrateTo(db, '0017-queue-run');
      const [used, unused] = [crypto.randomUUID(), crypto.randomUUID()];
      await insertAccount(db, used);
      await insertAccount(db, unused);
      await sql`INSERT INTO usage_daily (owner_id, day, provider, model, project, feature, status, interactive, batch, requests, retries,
          input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, unpriced_requests,
          latency_ms_sum, latency_count, first_ts, last_ts)
        VALUES (${used}::uuid, '2026-10-01', 'openai', 'gpt-4o', '', '', 'ok', true, false, 3, 0, 30, 3, 0, 0, 0, 0.01, 0, 0, 0,
          '2026-10-01T10:00:00Z', '2026-10-01T11:00:00Z')`.execute(db);
      await migrateToLatest(db);
      const versions = await sql<{ owner_id: string }>`SELECT owner_id::text AS owner_id FROM usage_versions`.execute(db);
      expect(versions.rows).toEqual([{ owner_id: used }]);

      // So a node that kept nothing yet reads it, and keeps it under that version.
      const store: UsageStore = createSqlUsageStore(db, { analysisReadCache: createAnalysisReadCache({ maxRows: 1000 }) });
      const reads = await store.analysisReads!(used);
      expect(reads.rows.map((r) => r.requests)).toEqual([3]);
      expect(await store.analysisReads!(used)).toBe(reads);
    } finally {
      await drop();
    }
  });
});
