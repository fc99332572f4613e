import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { RepriceFormula, StoredPair } from '../../pricing/reprice-formula.js';
import { chunkModelTotals, chunksOfDays, type ChunkTotalsRow } from '../reprice-chunks.js';
import type { ChunkModelTotals, RepriceChange, RepriceChunk, RepriceRow, UsageRepricing } from '../../pricing/repricing-store.js';
import { sqlNewCost, sqlOfPairs, sqlPricedInDatabase } from './sql-price-expression.js';
import { bumpUsageVersions } from './sql-usage-version.js';

/** Records per page read, and per write transaction. */
const PAGE = 5000;
/** A write that deadlocks with an ingest (both lock rollup rows) is tried again this many times. */
const WRITE_ATTEMPTS = 3;

interface ScannedRow {
  id: string;
  owner_id: string;
  ts_ms: number;
  /** The exact stored time as text, for the next page's key (a float of it could round). */
  ts_key: string;
  model: string;
  provider: string | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  batch: boolean;
  cost_usd: number | null;
}

/**
 * Re-pricing over PGlite or PostgreSQL. Records are read in (owner, time) order through the
 * (owner_id, ts) index, so a page's records fall on few UTC days. Each page's new costs go in
 * one transaction that also recomputes, from the records, the cost columns of the daily rollup
 * rows (migration 0008) of the owner-days the page touched: the rollups never disagree with the
 * records, even if the job stops halfway. The rollup rows are locked first, in the order an
 * ingest locks them, so an ingest running meanwhile either lands before the recomputation (and
 * is counted by it) or waits and adds its own records after it.
 * A record's cost is only replaced if it still holds the cost the job read (a record another
 * job changed meanwhile is left as that job left it).
 */
export function createSqlUsageRepricing(db: Kysely<Database>): UsageRepricing {
  return {
    async storedPairs() {
      // From the daily rollup (in step with the records): a few rows per owner-day, not one per record.
      const rows = await sql<StoredPair>`SELECT DISTINCT model, provider FROM usage_daily`.execute(db);
      return rows.rows;
    },

    async chunks(targetRecords) {
      const days = await sql<{ owner_id: string; day_ms: number; n: string }>`
        SELECT owner_id::text AS owner_id, (extract(epoch FROM day::timestamp) * 1000)::float8 AS day_ms, sum(requests)::text AS n
        FROM usage_daily GROUP BY owner_id, day ORDER BY owner_id, day`.execute(db);
      return chunksOfDays(days.rows.map((r) => ({ ownerId: r.owner_id, dayMs: Number(r.day_ms), records: Number(r.n) })), targetRecords);
    },

    async repriceChunk(chunk, formula, apply) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((trx) => repriceChunk(trx, chunk, formula, apply));
        } catch (error) {
          if (attempt >= WRITE_ATTEMPTS || !isDeadlock(error)) throw error;
        }
      }
    },

    async scan(page, only) {
      const filter = only ? sql`AND ${sqlOfPairs(only)}` : sql``;
      let after: { owner: string; ts: string; id: string } | null = null;
      for (;;) {
        const from: { owner: string; ts: string; id: string } | null = after;
        const result: { rows: ScannedRow[] } = await sql<ScannedRow>`
          SELECT id::text AS id, owner_id::text AS owner_id, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, ts::text AS ts_key, model, provider,
            input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens::float8 AS cache_write_1h_tokens, output_tokens, batch, cost_usd
          FROM usage_records
          WHERE ${from ? sql`(owner_id, ts, id) > (${from.owner}::uuid, ${from.ts}::timestamptz, ${from.id}::bigint)` : sql`TRUE`} ${filter}
          ORDER BY owner_id, ts, id
          LIMIT ${PAGE}`.execute(db);
        const rows: ScannedRow[] = result.rows;
        if (rows.length === 0) return;
        await page(rows.map(toRepriceRow));
        const last: ScannedRow = rows[rows.length - 1]!;
        after = { owner: last.owner_id, ts: last.ts_key, id: last.id };
        if (rows.length < PAGE) return;
      }
    },

    async writeCosts(changes) {
      if (changes.length === 0) return 0;
      for (let attempt = 1; ; attempt++) {
        try {
          return await writePage(db, changes);
        } catch (error) {
          if (attempt >= WRITE_ATTEMPTS || !isDeadlock(error)) throw error;
        }
      }
    },

    async finish() {
      // Every page brought its rollups up to date in its own transaction.
    },
  };
}

function toRepriceRow(r: ScannedRow): RepriceRow {
  return {
    ref: r.id,
    ownerId: r.owner_id,
    tsMs: Number(r.ts_ms),
    model: r.model,
    provider: r.provider,
    inputTokens: r.input_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    cacheWrite1hTokens: Number(r.cache_write_1h_tokens),
    outputTokens: r.output_tokens,
    batch: r.batch,
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
  };
}

async function writePage(db: Kysely<Database>, changes: readonly RepriceChange[]): Promise<number> {
  const json = JSON.stringify(changes.map(({ row, costUsd }) => ({ id: row.ref as string, old: row.costUsd, c: costUsd })));
  const days = JSON.stringify(
    [...new Set(changes.map(({ row }) => `${row.ownerId}|${new Date(Math.floor(row.tsMs / 86_400_000) * 86_400_000).toISOString().slice(0, 10)}`))].map((k) => {
      const [o, d] = k.split('|');
      return { o, d };
    }),
  );
  return db.transaction().execute(async (trx) => {
    await lockDailyRows(trx, sql`usage_daily d JOIN json_to_recordset(${days}::json) AS p(o uuid, d date) ON d.owner_id = p.o AND d.day = p.d`);
    const updated = await sql<{ n: number }>`
      WITH x AS (SELECT * FROM json_to_recordset(${json}::json) AS x(id bigint, old double precision, c double precision)),
      upd AS (
        UPDATE usage_records r SET cost_usd = x.c FROM x
        WHERE r.id = x.id AND r.cost_usd IS NOT DISTINCT FROM x.old
        RETURNING r.id
      )
      SELECT count(*)::int AS n FROM upd`.execute(trx);
    await recomputeDailyCosts(
      trx,
      sql`usage_records r JOIN json_to_recordset(${days}::json) AS p(o uuid, d date)
        ON r.owner_id = p.o AND r.ts >= (p.d::timestamp AT TIME ZONE 'UTC') AND r.ts < ((p.d + 1)::timestamp AT TIME ZONE 'UTC')`,
    );
    return updated.rows[0]?.n ?? 0;
  });
}

/** Locks the daily rollup rows of `rows` (a FROM clause over usage_daily `d`) in the order of their unique key, as an ingest's upsert does. */
async function lockDailyRows(trx: Kysely<Database>, rows: RawBuilder<unknown>): Promise<void> {
  await sql`SELECT 1 FROM ${rows}
    ORDER BY d.owner_id, d.day, d.provider, d.model, d.project, d.feature, d.status, d.interactive, d.batch
    FOR UPDATE OF d`.execute(trx);
}

/**
 * Recomputes the cost columns of the daily rollup rows of whole owner-days from their records:
 * `records` is a FROM clause over usage_records `r` selecting every record of those days. The
 * owners whose rollups changed get a new version (migration 0018) in the same statement, their
 * rows locked after the rollups', as an ingest locks them.
 */
async function recomputeDailyCosts(trx: Kysely<Database>, records: RawBuilder<unknown>): Promise<void> {
  await sql`
    WITH changed AS (
      UPDATE usage_daily d SET cost_usd = s.cost, unpriced_requests = s.unpriced
      FROM (
        SELECT r.owner_id, (r.ts AT TIME ZONE 'UTC')::date AS day, r.provider, r.model, r.project, r.feature, r.status, r.interactive, r.batch,
          coalesce(sum(r.cost_usd), 0) AS cost, count(*) FILTER (WHERE r.cost_usd IS NULL) AS unpriced
        FROM ${records}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      ) s
      WHERE d.owner_id = s.owner_id AND d.day = s.day AND d.provider IS NOT DISTINCT FROM s.provider AND d.model = s.model
        AND d.project = s.project AND d.feature = s.feature AND d.status = s.status AND d.interactive = s.interactive AND d.batch = s.batch
        AND (d.cost_usd IS DISTINCT FROM s.cost OR d.unpriced_requests IS DISTINCT FROM s.unpriced)
      RETURNING d.owner_id
    )
    ${bumpUsageVersions(sql`SELECT DISTINCT owner_id FROM changed ORDER BY owner_id`)}`.execute(trx);
}

function isDeadlock(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '40P01';
}

/**
 * One chunk in one transaction: totals per model from the records as they are, then (applying)
 * the rollup rows of the chunk's days locked in an ingest's order, the changed costs written by
 * one UPDATE that computes them, and the daily rollups' cost columns recomputed from the records.
 */
async function repriceChunk(trx: Kysely<Database>, chunk: RepriceChunk, formula: RepriceFormula, apply: boolean): Promise<ChunkModelTotals[]> {
  const from = new Date(chunk.fromMs).toISOString();
  const to = new Date(chunk.toMs).toISOString();
  const inChunk = sql`owner_id = ${chunk.ownerId}::uuid AND ts >= ${from}::timestamptz AND ts < ${to}::timestamptz AND ${sqlPricedInDatabase(formula)}`;
  const newCost = sqlNewCost(formula);
  const totals = await sql<ChunkTotalsRow>`
    SELECT model, count(*)::int AS records, (count(*) FILTER (WHERE n IS DISTINCT FROM cost_usd))::int AS changed,
      coalesce(sum(floor(cost_usd * 1e12)::bigint), 0)::text AS old_pico, coalesce(sum(floor(n * 1e12)::bigint), 0)::text AS new_pico,
      (count(*) FILTER (WHERE cost_usd IS NULL))::int AS old_unpriced, (count(*) FILTER (WHERE n IS NULL))::int AS new_unpriced
    FROM (SELECT model, cost_usd, ${newCost} AS n FROM usage_records WHERE ${inChunk}) x
    GROUP BY model`.execute(trx);
  const result = totals.rows.map(chunkModelTotals);
  if (!apply || result.every((m) => m.changed === 0)) return result;
  await lockDailyRows(trx, sql`usage_daily d WHERE d.owner_id = ${chunk.ownerId}::uuid AND d.day >= ${from.slice(0, 10)}::date AND d.day < ${to.slice(0, 10)}::date`);
  await sql`UPDATE usage_records SET cost_usd = ${newCost} WHERE ${inChunk} AND ${newCost} IS DISTINCT FROM cost_usd`.execute(trx);
  await recomputeDailyCosts(trx, sql`usage_records r WHERE r.owner_id = ${chunk.ownerId}::uuid AND r.ts >= ${from}::timestamptz AND r.ts < ${to}::timestamptz`);
  return result;
}
