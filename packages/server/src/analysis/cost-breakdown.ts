import type { BreakdownRow } from '@tally/protocol';
import { addUsageSums, emptyUsageSums, type UsageSums } from './usage-sums.js';
import type { UsageAggregateRow } from '../usage/usage-store.js';
import { ratio, roundUsd } from './round.js';

/** Days in the projection month: spend is scaled from the period covered to 30 days. */
export const MONTH_DAYS = 30;

export interface UsagePeriod {
  /** First and last UTC day with usage (YYYY-MM-DD), both inclusive. */
  from: string;
  to: string;
  days: number;
}

export interface CostTotals {
  requests: number;
  costUsd: number;
  /** costUsd scaled from the period's days to 30 days. */
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
  period: UsagePeriod | null;
  /** 30 / period days: multiply a period figure by it to get a monthly one (0 with no data). */
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

/** Totals, period, projection and breakdowns of aggregate rows; pure, no I/O. */
export function computeCostBreakdown(rows: readonly UsageAggregateRow[]): CostBreakdown {
  const period = periodOf(rows);
  const monthlyFactor = period ? MONTH_DAYS / period.days : 0;
  const totals = totalsOf(rows, monthlyFactor);
  const byCost = (a: BreakdownRow, b: BreakdownRow) => b.costUsd - a.costUsd || a.key.localeCompare(b.key);
  return {
    period,
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
