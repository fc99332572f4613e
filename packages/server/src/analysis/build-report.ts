import type { Intent, PlanStep, Report, StrategyName } from '@tally/protocol';
import type { UsageAnalysis } from './analyze-usage.js';

/** The structured report of a run: the analysis as the protocol carries it. */
export function buildReport(args: {
  intent: Intent;
  analysis: UsageAnalysis;
  plan: PlanStep[];
  mode: Report['mode'];
  /** `full` unless the answer covers only the part the question asked about. */
  depth?: NonNullable<Report['depth']>;
  focus?: StrategyName | null;
}): Report {
  const { breakdown } = args.analysis;
  const t = breakdown.totals;
  return {
    intent: args.intent,
    currency: 'USD',
    period: breakdown.period,
    projection: breakdown.projection && { hours: breakdown.projection.hours, rough: breakdown.projection.rough },
    totals: {
      requests: t.requests,
      costUsd: t.costUsd,
      monthlyCostUsd: t.monthlyCostUsd,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      cacheReadTokens: t.cacheReadTokens,
      cacheWriteTokens: t.cacheWriteTokens,
      cacheWrite1hTokens: t.cacheWrite1hTokens,
      errorRate: t.errorRate,
    },
    breakdowns: {
      byModel: breakdown.byModel,
      byProject: breakdown.byProject,
      byFeature: breakdown.byFeature,
      byDay: breakdown.byDay,
    },
    recommendations: args.analysis.recommendations,
    findings: args.analysis.findings,
    plan: args.plan,
    totalProjectedMonthlySavingUsd: args.analysis.totalProjectedMonthlySavingUsd,
    savings: args.analysis.savings,
    depth: args.depth ?? 'full',
    focus: args.focus ?? null,
    unpricedModels: breakdown.unpricedModels,
    charts: args.analysis.charts,
    mode: args.mode,
  };
}
