import type { UsageCostSources, UsageDashboard, UsageDashboardFilters, UsageDashboardSlice, UsageDashboardTotals } from '@tally/protocol';
import { roundUsd, ratio } from './round.js';
import { addUsageSums, emptyUsageSums, type UsageSums } from './usage-sums.js';
import type { UsageAggregateRow, UsageOverview } from '../usage/usage-store.js';

/** Past this many days the day series is not padded with empty days (a stray timestamp would bloat it). */
const MAX_PADDED_DAYS = 3_700;
const DAY_MS = 86_400_000;

export interface UsageDashboardInput {
  /** store.aggregate over every record of the owner (no time range): what the filters can choose. */
  all: UsageAggregateRow[];
  /** store.overview of the owner, no time range: first and last call times. */
  overview: UsageOverview;
  /**
   * store.aggregate over the filter's time range, when `all` cannot answer it (see
   * rowsForWindow); undefined when the window is whole UTC days or absent.
   */
  inWindow?: UsageAggregateRow[];
  /**
   * store.aggregate over the window before the filter's (see previousWindow), when `all` cannot
   * answer it; undefined when it is whole UTC days or there is no previous window.
   */
  previousWindow?: UsageAggregateRow[];
  filters: UsageDashboardFilters;
  /**
   * The total cost with each provider's spend from its authoritative source (reconciliation/
   * dashboard-cost-sources.ts); when applied, `totals.costUsd` is its `costUsd`. The breakdowns
   * stay the records' own: only they have projects, features and hours.
   */
  costSources?: UsageCostSources & { costUsd?: number };
  /** The same over the previous window, so "this period against the previous" compares like with like. */
  previousCostSources?: UsageCostSources & { costUsd?: number };
}

/**
 * The window just before the filter's, of the same length (this period against the previous
 * one); null unless the filter bounds its window on both sides.
 */
export function previousWindow(filters: Pick<UsageDashboardFilters, 'from' | 'to'>): { from: string; to: string } | null {
  if (filters.from === undefined || filters.to === undefined) return null;
  const from = Date.parse(filters.from);
  const to = Date.parse(filters.to);
  return { from: new Date(from - (to - from)).toISOString(), to: new Date(from).toISOString() };
}

/** Whether per-day rows answer the filter's window exactly: no bounds, or bounds on UTC midnights. */
export function isWholeDayWindow(filters: Pick<UsageDashboardFilters, 'from' | 'to'>): boolean {
  return [filters.from, filters.to].every((bound) => bound === undefined || dayOfMidnight(bound) !== null);
}

/**
 * The rows of `all` inside the filter's window when that is exact (isWholeDayWindow); undefined
 * when the store must be asked for the window's own rows.
 */
export function rowsForWindow(all: UsageAggregateRow[], filters: Pick<UsageDashboardFilters, 'from' | 'to'>): UsageAggregateRow[] | undefined {
  if (!isWholeDayWindow(filters)) return undefined;
  const from = filters.from === undefined ? undefined : dayOfMidnight(filters.from)!;
  const to = filters.to === undefined ? undefined : dayOfMidnight(filters.to)!;
  return all.filter((row) => (from === undefined || row.day >= from) && (to === undefined || row.day < to));
}

/** The dashboard of GET /v1/workspaces/:workspaceId/usage/dashboard, from the store's per-day sums. Pure. */
export function buildUsageDashboard(input: UsageDashboardInput): UsageDashboard {
  const { filters } = input;
  const windowRows = input.inWindow ?? rowsForWindow(input.all, filters);
  if (!windowRows) throw new Error('buildUsageDashboard: the window is not whole days; pass the rows of the window as inWindow');
  const matched = matching(windowRows, filters);
  const prior = previousWindow(filters);
  const priorRows = prior ? (input.previousWindow ?? rowsForWindow(input.all, prior)) : undefined;
  if (prior && !priorRows) throw new Error('buildUsageDashboard: the previous window is not whole days; pass its rows as previousWindow');

  const days = new Map<string, UsageSums>();
  const modelDays = new Map<string, { day: string; model: string; costUsd: number }>();
  const byModel = new Map<string, UsageSums>();
  const byProject = new Map<string, UsageSums>();
  const byFeature = new Map<string, UsageSums>();
  const byProvider = new Map<string, UsageSums>();
  for (const row of matched) {
    addUsageSums(sumsOf(days, row.day), row);
    addUsageSums(sumsOf(byModel, row.model), row);
    addUsageSums(sumsOf(byProject, row.project), row);
    addUsageSums(sumsOf(byFeature, row.feature), row);
    addUsageSums(sumsOf(byProvider, row.provider ?? 'unknown'), row);
    const key = `${row.day}\u0000${row.model}`;
    const cell = modelDays.get(key) ?? { day: row.day, model: row.model, costUsd: 0 };
    cell.costUsd += row.costUsd;
    modelDays.set(key, cell);
  }

  const requestTotals = totalsOf(matched);
  const sources = input.costSources;
  const totals = withSourcedCost(requestTotals, sources);
  // Shares of the unrounded total, as each slice's cost is unrounded.
  const totalCost = [...byModel.values()].reduce((sum, s) => sum + s.costUsd, 0);
  const dayKeys = [...days.keys()].sort();
  const firstDay = dayKeys[0];
  const lastDay = dayKeys.at(-1);
  return {
    range: {
      from: firstDay === undefined ? null : latest(`${firstDay}T00:00:00.000Z`, filters.from),
      to: lastDay === undefined ? null : earliest(new Date(Date.parse(`${lastDay}T00:00:00.000Z`) + DAY_MS).toISOString(), filters.to),
    },
    available: {
      models: [...new Set([...input.overview.models, ...input.all.map((r) => r.model)])].sort(),
      projects: [...new Set(input.all.map((r) => r.project))].sort(),
      from: input.overview.from,
      to: input.overview.to,
    },
    totals,
    byDay: daySeries(dayKeys).map((day) => {
      const sums = days.get(day);
      return { day, costUsd: roundUsd(sums?.costUsd ?? 0), requests: sums?.requests ?? 0 };
    }),
    costByModelByDay: [...modelDays.values()]
      .sort((a, b) => a.day.localeCompare(b.day) || a.model.localeCompare(b.model))
      .map((cell) => ({ ...cell, costUsd: roundUsd(cell.costUsd) })),
    byModel: slices(byModel, totalCost),
    byProject: slices(byProject, totalCost),
    byFeature: slices(byFeature, totalCost),
    byProvider: slices(byProvider, totalCost),
    previous: prior && priorRows ? previousPeriod(prior, totalsOf(matching(priorRows, filters)), input.previousCostSources) : null,
    costSources: sources ? costSourcesOf(sources, requestTotals) : null,
  };
}

/** The totals with the cost each provider's source gives, when the sources apply; else the records'. */
function withSourcedCost(totals: UsageDashboardTotals, sources: (UsageCostSources & { costUsd?: number }) | undefined): UsageDashboardTotals {
  return sources?.applied && sources.costUsd !== undefined ? { ...totals, costUsd: roundUsd(sources.costUsd) } : totals;
}

function costSourcesOf(sources: UsageCostSources, requestTotals: UsageDashboardTotals): UsageCostSources {
  return { applied: sources.applied, why: sources.why, requestCostUsd: sources.applied ? sources.requestCostUsd : requestTotals.costUsd, providers: sources.providers };
}

/** The previous window's totals, its cost from the same sources as the current one's (issue 18). */
function previousPeriod(window: { from: string; to: string }, requestTotals: UsageDashboardTotals, sources: (UsageCostSources & { costUsd?: number }) | undefined) {
  return { ...window, totals: withSourcedCost(requestTotals, sources), costSources: sources ? costSourcesOf(sources, requestTotals) : null };
}

/** The rows of the filter's models and projects. */
function matching(rows: UsageAggregateRow[], filters: UsageDashboardFilters): UsageAggregateRow[] {
  const models = filters.models ? new Set(filters.models) : null;
  const projects = filters.projects ? new Set(filters.projects) : null;
  return rows.filter((row) => (!models || models.has(row.model)) && (!projects || projects.has(row.project)));
}

/** The headline figures of some rows. */
function totalsOf(rows: UsageAggregateRow[]): UsageDashboardTotals {
  const sums = emptyUsageSums();
  let failed = 0;
  let unpriced = 0;
  let reasoning = 0;
  for (const row of rows) {
    addUsageSums(sums, row);
    if (row.status !== 'ok') failed += row.requests;
    unpriced += row.unpricedRequests;
    reasoning += row.reasoningTokens;
  }
  const inputSide = sums.inputTokens + sums.cacheReadTokens + sums.cacheWriteTokens + sums.cacheWrite1hTokens;
  return {
    requests: sums.requests,
    costUsd: roundUsd(sums.costUsd),
    inputTokens: sums.inputTokens,
    outputTokens: sums.outputTokens,
    cacheReadTokens: sums.cacheReadTokens,
    cacheWriteTokens: sums.cacheWriteTokens,
    cacheWrite1hTokens: sums.cacheWrite1hTokens,
    errorRate: ratio(failed, sums.requests),
    unpricedRequests: unpriced,
    reasoningTokens: reasoning,
    costPerRequestUsd: roundUsd(sums.requests - unpriced === 0 ? 0 : sums.costUsd / (sums.requests - unpriced)),
    cacheHitRate: ratio(sums.cacheReadTokens, inputSide),
  };
}

function sumsOf(map: Map<string, UsageSums>, key: string): UsageSums {
  let sums = map.get(key);
  if (!sums) map.set(key, (sums = emptyUsageSums()));
  return sums;
}

function slices(map: Map<string, UsageSums>, totalCostUsd: number): UsageDashboardSlice[] {
  return [...map.entries()]
    .map(([key, sums]) => ({ key, requests: sums.requests, costUsd: roundUsd(sums.costUsd), share: ratio(sums.costUsd, totalCostUsd) }))
    .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

/** Every day from the first to the last, so a chart shows quiet days as 0; only the days seen when the span is huge. */
function daySeries(sortedDays: string[]): string[] {
  const first = sortedDays[0];
  const last = sortedDays.at(-1);
  if (first === undefined || last === undefined) return [];
  const start = Date.parse(`${first}T00:00:00.000Z`);
  const span = Math.round((Date.parse(`${last}T00:00:00.000Z`) - start) / DAY_MS) + 1;
  if (span > MAX_PADDED_DAYS) return sortedDays;
  return Array.from({ length: span }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

/** The UTC day (YYYY-MM-DD) an ISO time is the midnight of, or null when it is not a UTC midnight. */
function dayOfMidnight(iso: string): string | null {
  const ms = Date.parse(iso);
  return ms % DAY_MS === 0 ? new Date(ms).toISOString().slice(0, 10) : null;
}

function latest(dayStart: string, bound: string | undefined): string {
  return bound !== undefined && Date.parse(bound) > Date.parse(dayStart) ? new Date(bound).toISOString() : dayStart;
}

function earliest(dayEnd: string, bound: string | undefined): string {
  return bound !== undefined && Date.parse(bound) < Date.parse(dayEnd) ? new Date(bound).toISOString() : dayEnd;
}
