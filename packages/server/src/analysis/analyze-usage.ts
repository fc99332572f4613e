import { leastConfidence, type Chart, type Recommendation, type SavingsSummary, type SavingsTotal, type StrategyName } from '@tally/protocol';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { OutputStatRow, PrefixStatRow, UsageAggregateRow } from '../usage/usage-store.js';
import { costByModelChart, latencyChart, savingsChart } from './charts.js';
import { computeCostBreakdown, type CostBreakdown } from './cost-breakdown.js';
import { combinedMonthlySaving } from './combine-savings.js';
import { roundUsd } from './round.js';
import { batchApi } from './strategies/batch-api.js';
import { cheaperModel } from './strategies/cheaper-model.js';
import { errorWaste } from './strategies/error-waste.js';
import { oversizedLimits } from './strategies/oversized-limits.js';
import { promptCaching } from './strategies/prompt-caching.js';
import type { Strategy } from './strategies/strategy.js';
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
  /** The span the user asked about (epoch ms): monthly figures scale from it rather than from the first and last call. */
  span?: { fromMs: number; toMs: number } | undefined;
}

/** Everything the agents say about a user's usage, computed by code from their data. */
export interface UsageAnalysis {
  breakdown: CostBreakdown;
  /** Largest projected saving first. */
  recommendations: Recommendation[];
  /** What the strategies found that saves no money (e.g. an oversized output limit): never in a list of savings or a total. */
  findings: Recommendation[];
  /** What the strategies found, per strategy, for the agents to tell apart. */
  byStrategy: Record<StrategyName, Recommendation[]>;
  /** All recommendations applied together, in sequence on the same traffic (savings.combinedMonthlySavingUsd). */
  totalProjectedMonthlySavingUsd: number;
  /** The headline split: savings that leave answers as they are, and what model switches add on top. */
  savings: SavingsSummary;
  charts: Chart[];
}

export function analyzeUsage(input: AnalyzeUsageInput): UsageAnalysis {
  const breakdown = computeCostBreakdown(input.rows, input.span);
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
  const found = Object.entries(STRATEGIES).map(([name, strategy]) => [name, strategy(strategyInput)] as const);
  // A recommendation worth $0 (an oversized limit no answer ran past) is never listed or totalled
  // as one: it is kept apart as a finding.
  const byStrategy = Object.fromEntries(found.map(([name, recs]) => [name, recs.filter((r) => r.projectedMonthlySavingUsd > 0)])) as Record<
    StrategyName,
    Recommendation[]
  >;
  const findings = found.flatMap(([, recs]) => recs.filter((r) => !(r.projectedMonthlySavingUsd > 0)));
  const recommendations = Object.values(byStrategy)
    .flat()
    .sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd || a.id.localeCompare(b.id));
  const savings = savingsSummary(recommendations, (recs) =>
    combinedMonthlySaving({ recommendations: recs, slices, prices: input.prices, monthlyFactor: breakdown.monthlyFactor, at: input.at }),
  );
  const charts: Chart[] = [];
  if (input.rows.length > 0) charts.push(costByModelChart(input.rows));
  if (recommendations.length > 0) charts.push(savingsChart(recommendations));
  if (breakdown.latencyByModel.length > 0) charts.push(latencyChart(breakdown.latencyByModel));
  return {
    breakdown,
    recommendations,
    findings,
    byStrategy,
    totalProjectedMonthlySavingUsd: savings.combinedMonthlySavingUsd,
    savings,
    charts,
  };
}

/** Whether a recommendation changes the model, and so needs a quality check before it saves anything. */
export function isModelSwitch(rec: Recommendation): boolean {
  return rec.strategy === 'cheaper_model';
}

/**
 * The headline split by risk. The savings that keep the model are combined first; model switches
 * are what applying them as well adds on top, so the two parts add up to the combined total.
 */
export function savingsSummary(recommendations: readonly Recommendation[], combine: (recs: readonly Recommendation[]) => number): SavingsSummary {
  const keep = recommendations.filter((r) => !isModelSwitch(r));
  const switches = recommendations.filter(isModelSwitch);
  const withoutModelChange = combine(keep);
  const combined = switches.length > 0 ? combine(recommendations) : withoutModelChange;
  return {
    withoutModelChange: savingsTotal(withoutModelChange, keep),
    modelSwitches: savingsTotal(roundUsd(Math.max(0, combined - withoutModelChange)), switches),
    combinedMonthlySavingUsd: combined,
  };
}

function savingsTotal(monthlySavingUsd: number, recs: readonly Recommendation[]): SavingsTotal {
  return { monthlySavingUsd, confidence: leastConfidence(recs), recommendations: recs.length };
}
