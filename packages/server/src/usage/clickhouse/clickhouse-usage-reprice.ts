import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseSql, identifier, uuid } from './clickhouse-literals.js';
import { epochDay, ownerDays, rollupRecomputations } from './clickhouse-rollups.js';
import type { RepriceRow, UsageRepricing } from '../usage-repricing.js';

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
 * mutation, which 18.16 has, rewrites whole parts per statement and cannot take costs computed
 * outside ClickHouse without a second implementation of pricing in SQL.) Records are read in one
 * streamed query through FINAL: a snapshot of the parts at its start, which the job's own inserts
 * do not disturb. The daily rollups of the owner-days changed are recomputed at the end, by the
 * same statements an ingest uses.
 */
export function createClickHouseUsageRepricing(client: ClickHouseClient, database: string): UsageRepricing {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records`;
  const touched = new Map<string, Set<number>>();

  return {
    async countRecords() {
      const result = await client.query({ query: clickHouseSql`SELECT count() AS n FROM ${records} FINAL`.text, format: 'JSONEachRow' });
      const [row] = await result.json<{ n: number | string }>();
      return Number(row?.n ?? 0);
    },

    async scan(page) {
      const result = await client.query({ query: clickHouseSql`SELECT * FROM ${records} FINAL`.text, format: 'JSONEachRow' });
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
        for (const statement of rollupRecomputations(database, ownerDays(ownerId, [...days]))) await client.command({ query: statement.text });
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
