import type { UsageRecord } from '@tally/protocol';
import {
  CACHE_TTL_MS,
  type OutputStatRow,
  type PrefixStatRow,
  type PricedUsageRecord,
  type TimeRange,
  type UsageAggregateRow,
  type UsageOverview,
  type UsageStore,
} from '../../src/usage/usage-store.js';
import { pricedRecordsOfSqlRows } from './sql-json-rows.js';

/**
 * A UsageStore in memory, for tests of code built on the store (ingestion, agents, analysis).
 * It passes the same contract suite as the SQL store (test/usage/usage-store-contract.ts), so
 * what a test learns from it holds for the real engines: same keys, same grouping by UTC day,
 * same ordering, percentiles interpolated like PostgreSQL's percentile_cont.
 */
export function createMemoryUsageStore(): UsageStore {
  const owners = new Map<string, Map<string, Stored>>();

  function rowsOf(ownerId: string, range: TimeRange | undefined): Stored[] {
    const from = range?.from === undefined ? -Infinity : instant(range.from);
    const to = range?.to === undefined ? Infinity : instant(range.to);
    return [...(owners.get(ownerId)?.values() ?? [])].filter((s) => s.at >= from && s.at < to);
  }

  const store: UsageStore = {
    // Takes the SQL stores' rows, read back into records: what the SQL store would store.
    rowForm: 'sql-json',
    insertRows: (ownerId, rows) => store.insert(ownerId, pricedRecordsOfSqlRows(rows)),

    async insert(ownerId, records) {
      let owned = owners.get(ownerId);
      if (!owned) owners.set(ownerId, (owned = new Map()));
      let inserted = 0;
      for (const priced of records) {
        if (owned.has(priced.key)) continue;
        owned.set(priced.key, toStored(priced));
        inserted += 1;
      }
      return { inserted, duplicates: records.length - inserted };
    },

    async overview(ownerId, range) {
      const rows = rowsOf(ownerId, range);
      if (rows.length === 0) return { records: 0, from: null, to: null, models: [] } satisfies UsageOverview;
      const times = rows.map((s) => s.at);
      return {
        records: rows.length,
        from: new Date(Math.min(...times)).toISOString(),
        to: new Date(Math.max(...times)).toISOString(),
        models: [...new Set(rows.map((s) => s.record.model))].sort(compareText),
      };
    },

    async aggregate(ownerId, range) {
      const groups = groupBy(rowsOf(ownerId, range), (s) => {
        const r = s.record;
        return [s.day, r.provider ?? null, r.model, r.project, r.feature, r.status, r.interactive, r.batch] as const;
      });
      return groups.map(([[day, provider, model, project, feature, status, interactive, batch], rows]): UsageAggregateRow => {
        const priced = rows.filter((s) => s.costUsd !== null);
        const latencies = rows.flatMap((s) => (s.record.latencyMs === undefined ? [] : [s.record.latencyMs]));
        return {
          day,
          provider,
          model,
          project,
          feature,
          status,
          interactive,
          batch,
          requests: rows.length,
          retries: rows.filter((s) => s.record.attempt > 1).length,
          inputTokens: sum(rows, (s) => s.record.inputTokens),
          outputTokens: sum(rows, (s) => s.record.outputTokens),
          cacheReadTokens: sum(rows, (s) => s.record.cacheReadTokens),
          cacheWriteTokens: sum(rows, (s) => s.record.cacheWriteTokens),
          cacheWrite1hTokens: sum(rows, (s) => s.record.cacheWrite1hTokens),
          reasoningTokens: sum(rows, (s) => s.record.reasoningTokens ?? 0),
          costUsd: sum(priced, (s) => s.costUsd ?? 0),
          unpricedRequests: rows.length - priced.length,
          latencyMsSum: latencies.reduce((a, b) => a + b, 0),
          latencyCount: latencies.length,
          firstMs: Math.min(...rows.map((s) => s.at)),
          lastMs: Math.max(...rows.map((s) => s.at)),
        };
      });
    },

    async prefixStats(ownerId, range) {
      const withPrefix = rowsOf(ownerId, range).filter((s) => s.record.promptPrefixHash !== undefined);
      const groups = groupBy(withPrefix, (s) => {
        const r = s.record;
        return [r.model, r.provider ?? null, r.project, r.feature, r.promptPrefixHash ?? ''] as const;
      });
      return groups
        .filter(([, rows]) => rows.length > 1)
        .map(([[model, provider, project, feature, promptPrefixHash], rows]): PrefixStatRow => {
          const activeDays = new Set(rows.map((s) => s.day)).size;
          // rows are in key order; the cold starts need them in time order.
          const times = rows.map((s) => s.at).sort((a, b) => a - b);
          const coldStarts = times.filter((t, i) => i === 0 || t - times[i - 1]! > CACHE_TTL_MS).length;
          return {
            model,
            provider,
            project,
            feature,
            promptPrefixHash,
            requests: rows.length,
            prefixTokens: sum(rows, (s) => s.record.prefixTokens ?? 0),
            cacheReadTokens: sum(rows, (s) => s.record.cacheReadTokens),
            cacheWriteTokens: sum(rows, (s) => s.record.cacheWriteTokens),
            cacheWrite1hTokens: sum(rows, (s) => s.record.cacheWrite1hTokens),
            coldStarts,
            days: rows.length / activeDays,
            activeDays,
          };
        });
    },

    async outputStats(ownerId, range) {
      const ok = rowsOf(ownerId, range).filter((s) => s.record.status === 'ok');
      const groups = groupBy(ok, (s) => [s.record.model, s.record.provider ?? null, s.record.project, s.record.feature] as const);
      return groups.map(([[model, provider, project, feature], rows]): OutputStatRow => {
        const limits = rows.flatMap((s) => (s.record.maxOutputTokens === undefined ? [] : [s.record.maxOutputTokens]));
        const outputs = rows.map((s) => s.record.outputTokens).sort((a, b) => a - b);
        return {
          model,
          provider,
          project,
          feature,
          requests: rows.length,
          limitedRequests: limits.length,
          meanMaxOutputTokens: limits.length === 0 ? 0 : limits.reduce((a, b) => a + b, 0) / limits.length,
          p50OutputTokens: percentileCont(outputs, 0.5),
          p99OutputTokens: percentileCont(outputs, 0.99),
          maxOutputTokensSeen: outputs[outputs.length - 1] ?? 0,
        };
      });
    },
  };
  return store;
}

interface Stored {
  record: UsageRecord;
  costUsd: number | null;
  at: number;
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

function toStored({ record, costUsd }: PricedUsageRecord): Stored {
  const at = instant(record.ts);
  return { record, costUsd, at, day: new Date(at).toISOString().slice(0, 10) };
}

function instant(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`invalid time: ${iso}`);
  return t;
}

type Key = readonly (string | boolean | null)[];

/** Groups rows by a tuple key, in the SQL store's order: ascending, false before true, nulls last. */
function groupBy<K extends Key>(rows: Stored[], keyOf: (s: Stored) => K): Array<[K, Stored[]]> {
  const groups = new Map<string, [K, Stored[]]>();
  for (const s of rows) {
    const key = keyOf(s);
    const id = JSON.stringify(key);
    const group = groups.get(id);
    if (group) group[1].push(s);
    else groups.set(id, [key, [s]]);
  }
  return [...groups.values()].sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'boolean' || typeof y === 'boolean') return x === false ? -1 : 1;
    return compareText(x, y);
  }
  return 0;
}

/** Byte order, as the SQL store's `COLLATE "C"`. */
function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf-8'), Buffer.from(b, 'utf-8'));
}

function sum(rows: Stored[], value: (s: Stored) => number): number {
  return rows.reduce((total, s) => total + value(s), 0);
}

/** PostgreSQL's percentile_cont: linear interpolation between the two nearest sorted values. */
function percentileCont(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const low = sorted[lower] ?? 0;
  const high = sorted[Math.min(lower + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - lower);
}
