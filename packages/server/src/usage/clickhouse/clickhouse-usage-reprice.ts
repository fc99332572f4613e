import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { StoredPair } from '../../pricing/reprice-formula.js';
import { DAY_MS } from '../day-range.js';
import { chunkModelTotals, chunksOfDays } from '../reprice-chunks.js';
import { clickHouseColumnName, USAGE_COLUMNS } from '../usage-columns.js';
import type { ChunkModelTotals, RepriceRow, UsageRepricing } from '../../pricing/repricing-store.js';
import { clickHouseSql, identifier, int, list, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { checkLiteralsExact, clickHouseNewCost, clickHouseOfPairs, clickHousePricedInDatabase } from './clickhouse-price-expression.js';
import { epochDay, workspaceDays, rollupRecomputations } from './clickhouse-rollups.js';
import { selectRows } from './clickhouse-select.js';

/** Records per page handed to the job (and so per re-insert). */
const PAGE = 10_000;

/** A stored record as `SELECT *` gives it (MATERIALIZED columns left out): what is re-inserted. */
type StoredRow = Record<string, unknown> & {
  owner_id: string;
  ts_ms: number;
  model: string;
  provider: string | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens?: number;
  output_tokens: number;
  batch: number;
  cost_usd: number | null;
};

/**
 * Re-pricing over ClickHouse (18.16 on) by rewriting rows, not by mutation: a changed record is
 * inserted again with its new cost. `usage_records` is a ReplacingMergeTree with no version
 * column, whose merges and `FINAL` keep the last inserted of rows sharing a sorting key, so every
 * read sees the new cost at once, and merges drop the old row in time. (An `ALTER TABLE … UPDATE`
 * mutation rewrites whole parts per statement, asynchronously.) A chunk (whole owner-days, read
 * through the primary index) is re-priced set-based: one SELECT totals it under the formula, one
 * INSERT … SELECT writes its changed records with their new costs, and its daily rollups are
 * recomputed by the statement an ingest uses. Pairs only the library prices go record by record
 * (`scan`, `writeCosts`, `finish`).
 */
export function createClickHouseUsageRepricing(client: ClickHouseClient, database: string): UsageRepricing {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records`;
  const touched = new Map<string, Set<number>>();
  const checked = new WeakSet<object>();
  const columns = list([identifier('owner_id'), ...USAGE_COLUMNS.map((c) => identifier(clickHouseColumnName(c)))]);

  return {
    async storedPairs() {
      const rows = await selectRows(
        client,
        clickHouseSql`SELECT DISTINCT model, if(provider_null = 1, NULL, provider_name) AS provider FROM ${db}.usage_daily`,
        z.object({ model: z.string(), provider: z.string().nullable() }),
      );
      return rows satisfies StoredPair[];
    },

    async chunks(targetRecords) {
      // From the records (without FINAL: counts only plan the work), so records whose rollups
      // an upload has not brought up to date yet are re-priced too.
      const rows = await selectRows(
        client,
        clickHouseSql`SELECT toString(owner_id) AS owner, intDiv(ts_ms, ${int(DAY_MS)}) AS d, count() AS n FROM ${records} GROUP BY owner_id, d ORDER BY owner_id, d`,
        z.object({ owner: z.string(), d: z.number(), n: z.number() }),
      );
      return chunksOfDays(rows.map((r) => ({ ownerId: r.owner, dayMs: r.d * DAY_MS, records: r.n })), targetRecords);
    },

    async repriceChunk(chunk, formula, apply) {
      if (!checked.has(formula)) {
        await checkLiteralsExact(client, formula);
        checked.add(formula);
      }
      const inChunk = clickHouseSql`owner_id = ${uuid(chunk.ownerId)} AND ts_ms >= ${int(chunk.fromMs)} AND ts_ms < ${int(chunk.toMs)}`;
      const where = clickHouseSql`${inChunk} AND ${clickHousePricedInDatabase(formula)}`;
      const newCost = clickHouseNewCost(formula);
      const changed = clickHouseSql`(isNull(n) != isNull(cost_usd) OR (isNotNull(n) AND ifNull(n, 0) != ifNull(cost_usd, 0)))`;
      const rows = await selectRows(
        client,
        clickHouseSql`SELECT model, count() AS records, countIf(${changed}) AS changed,
            toString(sum(ifNull(toInt64(floor(cost_usd * 1e12)), 0))) AS old_pico, toString(sum(ifNull(toInt64(floor(n * 1e12)), 0))) AS new_pico,
            countIf(isNull(cost_usd)) AS old_unpriced, countIf(isNull(n)) AS new_unpriced
          FROM (SELECT model, cost_usd, ${newCost} AS n FROM ${records} FINAL WHERE ${where})
          GROUP BY model`,
        TotalsRowSchema,
      );
      const totals: ChunkModelTotals[] = rows.map(chunkModelTotals);
      if (!apply || totals.every((m) => m.changed === 0)) return totals;
      const values = list([
        identifier('owner_id'),
        ...USAGE_COLUMNS.map((c) => (c.name === 'cost_usd' ? clickHouseSql`n` : identifier(clickHouseColumnName(c)))),
      ]);
      await client.command({
        query: clickHouseSql`INSERT INTO ${records} (${columns})
          SELECT ${values} FROM (SELECT *, ${newCost} AS n FROM ${records} FINAL WHERE ${where}) WHERE ${changed}`.text,
      });
      await client.command({ query: dailyRecomputation(database, inChunk).text });
      return totals;
    },

    async scan(page, only) {
      const filter = only ? clickHouseSql`WHERE ${clickHouseOfPairs(only)}` : clickHouseSql``;
      const result = await client.query({ query: clickHouseSql`SELECT * FROM ${records} FINAL ${filter}`.text, format: 'JSONEachRow' });
      let rows: RepriceRow[] = [];
      for await (const chunk of result.stream<StoredRow>()) {
        for (const raw of chunk) {
          rows.push(toRepriceRow(raw.json<StoredRow>()));
          if (rows.length >= PAGE) {
            await page(rows);
            rows = [];
          }
        }
      }
      if (rows.length > 0) await page(rows);
    },

    async writeCosts(changes) {
      if (changes.length === 0) return 0;
      const values = changes.map(({ row, costUsd }) => {
        const stored = row.ref as StoredRow;
        let days = touched.get(row.ownerId);
        if (!days) touched.set(row.ownerId, (days = new Set()));
        days.add(epochDay(row.tsMs));
        return { ...stored, cost_usd: costUsd };
      });
      await client.insert({ table: records.text, values, format: 'JSONEachRow' });
      return values.length;
    },

    async finish() {
      for (const [ownerId, days] of touched) {
        uuid(ownerId);
        for (const statement of rollupRecomputations(database, workspaceDays(ownerId, [...days]))) await client.command({ query: statement.text });
      }
      touched.clear();
    },
  };
}

function toRepriceRow(r: StoredRow): RepriceRow {
  return {
    ref: r,
    ownerId: r.owner_id,
    tsMs: Number(r.ts_ms),
    model: r.model,
    provider: r.provider,
    inputTokens: Number(r.input_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    ...(r.cache_write_1h_tokens === undefined ? {} : { cacheWrite1hTokens: Number(r.cache_write_1h_tokens) }),
    outputTokens: Number(r.output_tokens),
    batch: Number(r.batch) === 1,
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
  };
}

const TotalsRowSchema = z.object({
  model: z.string(),
  records: z.number(),
  changed: z.number(),
  old_pico: z.string().regex(/^-?\d+$/),
  new_pico: z.string().regex(/^-?\d+$/),
  old_unpriced: z.number(),
  new_unpriced: z.number(),
});

/** The daily rollup's recomputation (the one holding costs) of the records matching `where`. */
function dailyRecomputation(database: string, where: ClickHouseSql): ClickHouseSql {
  return rollupRecomputations(database, where)[0]!;
}
