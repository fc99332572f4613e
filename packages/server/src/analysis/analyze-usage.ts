import type { Chart, Recommendation, StrategyName } from '@tally/protocol';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { OutputStatRow, PrefixStatRow, UsageAggregateRow } from '../usage/usage-store.js';
import { costByModelChart, latencyChart, savingsChart } from './charts.js';
import { computeCostBreakdown, type CostBreakdown } from './cost-breakdown.js';
import { roundUsd } from './round.js';
import { batchApi } from './strategies/batch-api.js';
import { cheaperModel } from './strategies/cheaper-model.js';
import { errorWaste } from './strategies/error-waste.js';
import { oversizedLimits } from './strategies/oversized-limits.js';
import { promptCaching } from './strategies/prompt-caching.js';
import { sliceKeyOfRecommendation, type Strategy } from './strategies/strategy.js';
import { groupSlices } from './traffic-slices.js';

/** Every strategy, by the name the protocol gives it. */
export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  cheaper_model: cheaperModel,
  prompt_caching: promptCaching,
  batch_api: batchApi,
  error_waste: errorWaste,
  oversized_limits: oversizedLimits,
};

export interface AnalyzeUsageInput {
  rows: readonly UsageAggregateRow[];
  prefixStats: readonly PrefixStatRow[];
  outputStats: readonly OutputStatRow[];
  prices: PriceCatalog;
  /** Projections use the prices in force at this time. */
  at: Date;
}

/** Everything the agents say about a user's usage, computed by code from their data. */
export interface UsageAnalysis {
  breakdown: CostBreakdown;
  /** Largest projected saving first. */
  recommendations: Recommendation[];
  /** What the strategies found, per strategy, for the agents to tell apart. */
  byStrategy: Record<StrategyName, Recommendation[]>;
  /** All recommendations applied together, overlaps on the same traffic counted once. */
  totalProjectedMonthlySavingUsd: number;
  charts: Chart[];
}

export function analyzeUsage(input: AnalyzeUsageInput): UsageAnalysis {
  const breakdown = computeCostBreakdown(input.rows);
  const slices = groupSlices(input.rows);
  const strategyInput = {
    slices,
    prefixStats: input.prefixStats,
    outputStats: input.outputStats,
    prices: input.prices,
    monthlyFactor: breakdown.monthlyFactor,
    days: breakdown.period?.days ?? 0,
    monthlySpendUsd: breakdown.totals.monthlyCostUsd,
    at: input.at,
  };
  const byStrategy = Object.fromEntries(
    Object.entries(STRATEGIES).map(([name, strategy]) => [name, strategy(strategyInput)]),
  ) as Record<StrategyName, Recommendation[]>;
  const recommendations = Object.values(byStrategy)
    .flat()
    .sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd || a.id.localeCompare(b.id));
  const sliceMonthlyCost = new Map(slices.map((s) => [s.key, s.costUsd * breakdown.monthlyFactor]));
  const charts: Chart[] = [];
  if (input.rows.length > 0) charts.push(costByModelChart(input.rows));
  if (recommendations.length > 0) charts.push(savingsChart(recommendations));
  if (breakdown.latencyByModel.length > 0) charts.push(latencyChart(breakdown.latencyByModel));
  return {
    breakdown,
    recommendations,
    byStrategy,
    totalProjectedMonthlySavingUsd: combinedMonthlySaving(recommendations, sliceMonthlyCost),
    charts,
  };
}

/**
 * Savings on the same traffic do not add up: batching halves a bill that a cheaper model has
 * already cut. Per slice, the recommendations are applied one after another, each saving its share
 * of what is left: C x (1 - product of (1 - saving_i / C)). Slices are disjoint, so they add.
 */
export function combinedMonthlySaving(recommendations: readonly Recommendation[], sliceMonthlyCost: ReadonlyMap<string, number>): number {
  const bySlice = new Map<string, number[]>();
  for (const rec of recommendations) {
    const key = sliceKeyOfRecommendation(rec.id);
    bySlice.set(key, [...(bySlice.get(key) ?? []), rec.projectedMonthlySavingUsd]);
  }
  let total = 0;
  for (const [key, savings] of bySlice) {
    const cost = sliceMonthlyCost.get(key) ?? 0;
    if (cost <= 0) {
      total += savings.reduce((a, b) => a + b, 0);
      continue;
    }
    const kept = savings.reduce((left, saving) => left * (1 - Math.min(1, saving / cost)), 1);
    total += cost * (1 - kept);
  }
  return roundUsd(total);
}
