import type { BreakdownRow } from '@tally/protocol';
import { addUsageSums, emptyUsageSums, type UsageSums } from './usage-sums.js';
import type { UsageAggregateRow } from '../usage/usage-store.js';
import { ratio, roundUsd } from './round.js';

import { projectionOf, type Projection } from './projection.js';

const DAY_MS = 86_400_000;

export interface UsagePeriod {
  /** First and last UTC day with usage (YYYY-MM-DD), both inclusive. */
  from: string;
  to: string;
  days: number;
}

export interface CostTotals {
  requests: number;
  costUsd: number;
  /** costUsd scaled to 30 x 24 hours from the hours the data covers (projection.ts). */
  monthlyCostUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Requests that ended in error or timeout. */
  failedRequests: number;
  timeoutRequests: number;
  retries: number;
  /** failedRequests / requests. */
  errorRate: number;
  unpricedRequests: number;
}

export interface LatencyRow {
  key: string;
  /** Requests that reported a latency. */
  requests: number;
  meanLatencyMs: number;
}

export interface CostBreakdown {
  /** The UTC days the data touches, for display. */
  period: UsagePeriod | null;
  /** How period figures become monthly ones: from the hours the data covers (projection.ts); null with no data. */
  projection: Projection | null;
  /** projection.monthlyFactor: multiply a period figure by it to get a monthly one (0 with no data). */
  monthlyFactor: number;
  totals: CostTotals;
  byModel: BreakdownRow[];
  byProject: BreakdownRow[];
  byFeature: BreakdownRow[];
  /** In day order, unlike the others which are by cost. */
  byDay: BreakdownRow[];
  latencyByModel: LatencyRow[];
  latencyByFeature: LatencyRow[];
  /** Models with requests the price catalog could not price. */
  unpricedModels: string[];
}

/**
 * Totals, period, projection and breakdowns of aggregate rows; pure, no I/O. Monthly figures come
 * from the hours between the first and last call of the rows, or from `span` (epoch ms) when the
 * question named a time span.
 */
export function computeCostBreakdown(rows: readonly UsageAggregateRow[], span?: { fromMs: number; toMs: number }): CostBreakdown {
  const period = periodOf(rows);
  const covered = span ?? coveredSpan(rows);
  const projection = covered ? projectionOf(covered.fromMs, covered.toMs) : null;
  const monthlyFactor = projection?.monthlyFactor ?? 0;
  const totals = totalsOf(rows, monthlyFactor);
  const byCost = (a: BreakdownRow, b: BreakdownRow) => b.costUsd - a.costUsd || a.key.localeCompare(b.key);
  return {
    period,
    projection,
    monthlyFactor,
    totals,
    byModel: breakdownBy(rows, (r) => r.model, totals.costUsd).sort(byCost),
    byProject: breakdownBy(rows, (r) => r.project, totals.costUsd).sort(byCost),
    byFeature: breakdownBy(rows, (r) => r.feature, totals.costUsd).sort(byCost),
    byDay: breakdownBy(rows, (r) => r.day, totals.costUsd).sort((a, b) => a.key.localeCompare(b.key)),
    latencyByModel: latencyBy(rows, (r) => r.model),
    latencyByFeature: latencyBy(rows, (r) => `${r.project}/${r.feature}`),
    unpricedModels: [...new Set(rows.filter((r) => r.unpricedRequests > 0).map((r) => r.model))].sort(),
  };
}

export function periodOf(rows: readonly UsageAggregateRow[]): UsagePeriod | null {
  if (rows.length === 0) return null;
  let from = rows[0]!.day;
  let to = from;
  for (const row of rows) {
    if (row.day < from) from = row.day;
    if (row.day > to) to = row.day;
  }
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  return { from, to, days };
}

/**
 * From the first call to the last. A row without call times (built by hand) stands for its whole
 * UTC day, which is what projections from calendar days assumed.
 */
export function coveredSpan(rows: readonly UsageAggregateRow[]): { fromMs: number; toMs: number } | null {
  if (rows.length === 0) return null;
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const dayStart = Date.parse(`${row.day}T00:00:00Z`);
    fromMs = Math.min(fromMs, row.firstMs ?? dayStart);
    toMs = Math.max(toMs, row.lastMs ?? dayStart + DAY_MS);
  }
  return { fromMs, toMs };
}

function totalsOf(rows: readonly UsageAggregateRow[], monthlyFactor: number): CostTotals {
  const t = {
    requests: 0,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    failedRequests: 0,
    timeoutRequests: 0,
    retries: 0,
    unpricedRequests: 0,
  };
  for (const r of rows) {
    addUsageSums(t, r);
    t.reasoningTokens += r.reasoningTokens;
    if (r.status !== 'ok') t.failedRequests += r.requests;
    if (r.status === 'timeout') t.timeoutRequests += r.requests;
    t.retries += r.retries;
    t.unpricedRequests += r.unpricedRequests;
  }
  return {
    ...t,
    costUsd: roundUsd(t.costUsd),
    monthlyCostUsd: roundUsd(t.costUsd * monthlyFactor),
    errorRate: ratio(t.failedRequests, t.requests),
  };
}

function breakdownBy(
  rows: readonly UsageAggregateRow[],
  keyOf: (row: UsageAggregateRow) => string,
  totalCostUsd: number,
): BreakdownRow[] {
  const groups = new Map<string, BreakdownRow & UsageSums>();
  for (const r of rows) {
    const key = keyOf(r);
    const g = groups.get(key) ?? { key, ...emptyUsageSums(), share: 0 };
    addUsageSums(g, r);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ ...g, costUsd: roundUsd(g.costUsd), share: ratio(g.costUsd, totalCostUsd) }));
}

function latencyBy(rows: readonly UsageAggregateRow[], keyOf: (row: UsageAggregateRow) => string): LatencyRow[] {
  const groups = new Map<string, { sum: number; count: number }>();
  for (const r of rows) {
    if (r.latencyCount === 0) continue;
    const g = groups.get(keyOf(r)) ?? { sum: 0, count: 0 };
    g.sum += r.latencyMsSum;
    g.count += r.latencyCount;
    groups.set(keyOf(r), g);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({ key, requests: g.count, meanLatencyMs: Math.round(g.sum / g.count) }))
    .sort((a, b) => b.meanLatencyMs - a.meanLatencyMs || a.key.localeCompare(b.key));
}
