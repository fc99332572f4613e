import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { RepriceChange, RepriceRow, UsageRepricing } from '../usage-repricing.js';

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
    async countRecords() {
      const row = await db.selectFrom('usage_records').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async scan(page) {
      let after: { owner: string; ts: string; id: string } | null = null;
      for (;;) {
        const from: { owner: string; ts: string; id: string } | null = after;
        const result: { rows: ScannedRow[] } = await sql<ScannedRow>`
          SELECT id::text AS id, owner_id::text AS owner_id, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, ts::text AS ts_key, model, provider,
            input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens::float8 AS cache_write_1h_tokens, output_tokens, batch, cost_usd
          FROM usage_records
          ${from ? sql`WHERE (owner_id, ts, id) > (${from.owner}::uuid, ${from.ts}::timestamptz, ${from.id}::bigint)` : sql``}
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
    // The rollup rows of the touched owner-days, locked in the order of their unique key (as an ingest's upsert).
    await sql`SELECT 1 FROM usage_daily d JOIN json_to_recordset(${days}::json) AS p(o uuid, d date) ON d.owner_id = p.o AND d.day = p.d
      ORDER BY d.owner_id, d.day, d.provider, d.model, d.project, d.feature, d.status, d.interactive, d.batch
      FOR UPDATE OF d`.execute(trx);
    const updated = await sql<{ n: number }>`
      WITH x AS (SELECT * FROM json_to_recordset(${json}::json) AS x(id bigint, old double precision, c double precision)),
      upd AS (
        UPDATE usage_records r SET cost_usd = x.c FROM x
        WHERE r.id = x.id AND r.cost_usd IS NOT DISTINCT FROM x.old
        RETURNING r.id
      )
      SELECT count(*)::int AS n FROM upd`.execute(trx);
    await sql`
      UPDATE usage_daily d SET cost_usd = s.cost, unpriced_requests = s.unpriced
      FROM (
        SELECT r.owner_id, (r.ts AT TIME ZONE 'UTC')::date AS day, r.provider, r.model, r.project, r.feature, r.status, r.interactive, r.batch,
          coalesce(sum(r.cost_usd), 0) AS cost, count(*) FILTER (WHERE r.cost_usd IS NULL) AS unpriced
        FROM usage_records r
        JOIN json_to_recordset(${days}::json) AS p(o uuid, d date)
          ON r.owner_id = p.o AND r.ts >= (p.d::timestamp AT TIME ZONE 'UTC') AND r.ts < ((p.d + 1)::timestamp AT TIME ZONE 'UTC')
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      ) s
      WHERE d.owner_id = s.owner_id AND d.day = s.day AND d.provider IS NOT DISTINCT FROM s.provider AND d.model = s.model
        AND d.project = s.project AND d.feature = s.feature AND d.status = s.status AND d.interactive = s.interactive AND d.batch = s.batch
        AND (d.cost_usd IS DISTINCT FROM s.cost OR d.unpriced_requests IS DISTINCT FROM s.unpriced)`.execute(trx);
    return updated.rows[0]?.n ?? 0;
  });
}

function isDeadlock(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '40P01';
}
