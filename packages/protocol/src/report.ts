import { z } from 'zod';
import { IntentSchema } from './agents.js';

/** Names of the optimization strategies; each yields at most one recommendation per traffic slice. */
export const STRATEGY_NAMES = [
  'cheaper_model',
  'prompt_caching',
  'batch_api',
  'error_waste',
  'oversized_limits',
] as const;
export const StrategyNameSchema = z.enum(STRATEGY_NAMES);
export type StrategyName = z.infer<typeof StrategyNameSchema>;

export const LevelSchema = z.enum(['low', 'medium', 'high']);
export type Level = z.infer<typeof LevelSchema>;

/** A total is as sure as the least sure figure in it (`low` for none). */
export function leastConfidence(items: ReadonlyArray<{ confidence: Level }>): Level {
  if (items.length === 0) return 'low';
  const order: Record<Level, number> = { low: 0, medium: 1, high: 2 };
  return items.reduce<Level>((least, i) => (order[i.confidence] < order[least] ? i.confidence : least), 'high');
}
export const QualityRiskSchema = z.enum(['none', 'low', 'medium', 'high']);

/** One figure behind a recommendation, computed from the data. */
export const EvidenceItemSchema = z.object({
  label: z.string(),
  value: z.union([z.number(), z.string()]),
  unit: z.string().optional(),
});

export const RecommendationSchema = z.object({
  id: z.string(),
  strategy: StrategyNameSchema,
  title: z.string(),
  /** Which traffic it is about, e.g. `project=support feature=classify model=gpt-4o`. */
  scope: z.string(),
  rationale: z.string(),
  evidence: z.array(EvidenceItemSchema),
  /** Spend of the traffic concerned, per 30 days, in USD. */
  currentMonthlyCostUsd: z.number(),
  projectedMonthlySavingUsd: z.number(),
  confidence: LevelSchema,
  qualityRisk: QualityRiskSchema,
  /** The model a `cheaper_model` recommendation moves the traffic to (its catalog id). */
  targetModel: z.string().optional(),
});
export type Recommendation = z.infer<typeof RecommendationSchema>;

export const BreakdownRowSchema = z.object({
  key: z.string(),
  requests: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: z.number(),
  /** 1-hour cache writes (billed higher); absent in reports that predate them. */
  cacheWrite1hTokens: z.number().optional(),
  costUsd: z.number(),
  share: z.number(),
});
export type BreakdownRow = z.infer<typeof BreakdownRowSchema>;

export const ChartSchema = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.enum(['bar', 'line', 'stacked_bar']),
  unit: z.string(),
  /** x values are labels (a model, a day); y values numbers in `unit`. */
  series: z.array(
    z.object({ name: z.string(), points: z.array(z.object({ x: z.string(), y: z.number() })) }),
  ),
});
export type Chart = z.infer<typeof ChartSchema>;

export const PlanStepSchema = z.object({
  order: z.number().int().min(1),
  recommendationId: z.string(),
  action: z.string(),
  projectedMonthlySavingUsd: z.number(),
  effort: LevelSchema,
  /** The recommendation's confidence and quality risk, so a plan line never shows a figure without them. */
  confidence: LevelSchema.optional(),
  qualityRisk: QualityRiskSchema.optional(),
  /** Which headline total the step counts in (see SavingsSummarySchema). */
  group: z.enum(['no_quality_risk', 'model_switch']).optional(),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** One headline total: what a group of recommendations saves applied together, and how sure it is. */
export const SavingsTotalSchema = z.object({
  monthlySavingUsd: z.number(),
  /** The least confident of the recommendations it combines (`low` when there are none). */
  confidence: LevelSchema,
  recommendations: z.number().int().min(0),
});
export type SavingsTotal = z.infer<typeof SavingsTotalSchema>;

/**
 * The headline, split by risk: savings that leave answers as they are (caching, batch APIs, fixing
 * failed calls, output limits) apart from model switches, which need a quality check first. Both are
 * combined in sequence on the same token mix: `modelSwitches` is what switching adds on top of the
 * others, so the two add up to `combinedMonthlySavingUsd`.
 */
export const SavingsSummarySchema = z.object({
  withoutModelChange: SavingsTotalSchema,
  modelSwitches: SavingsTotalSchema,
  combinedMonthlySavingUsd: z.number(),
});
export type SavingsSummary = z.infer<typeof SavingsSummarySchema>;

/** The structured report a completed run carries, beside its markdown answer. */
export const ReportSchema = z.object({
  intent: IntentSchema,
  currency: z.literal('USD'),
  period: z
    .object({ from: z.string(), to: z.string(), days: z.number() })
    .nullable(),
  /**
   * What monthly figures are scaled from: the hours between the first and last call (or the span
   * asked about), and whether that is under about a week, making every monthly figure rough.
   * Absent in reports that predate it.
   */
  projection: z.object({ hours: z.number(), rough: z.boolean() }).nullable().optional(),
  totals: z.object({
    requests: z.number(),
    costUsd: z.number(),
    /** Spend scaled to 30 x 24 hours from the hours the data covers (see projection). */
    monthlyCostUsd: z.number(),
    inputTokens: z.number(),
    outputTokens: z.number(),
    cacheReadTokens: z.number(),
    cacheWriteTokens: z.number(),
    /** 1-hour cache writes; absent in reports that predate them. */
    cacheWrite1hTokens: z.number().optional(),
    errorRate: z.number(),
  }),
  breakdowns: z.object({
    byModel: z.array(BreakdownRowSchema),
    byProject: z.array(BreakdownRowSchema),
    byFeature: z.array(BreakdownRowSchema),
    byDay: z.array(BreakdownRowSchema),
  }),
  /** Recommendations with a money saving, never one worth $0. */
  recommendations: z.array(RecommendationSchema),
  /** What the analysis found that saves no money (e.g. an oversized output limit): in no total and no plan. */
  findings: z.array(RecommendationSchema).optional(),
  plan: z.array(PlanStepSchema),
  totalProjectedMonthlySavingUsd: z.number(),
  /** The headline split by quality risk (absent in reports stored before it existed). */
  savings: SavingsSummarySchema.optional(),
  /**
   * `full`: the whole report and plan (asked for, or the thread's first analysis question);
   * `focused`: the part the question is about, with `focus` naming its strategy if it has one.
   */
  depth: z.enum(['full', 'focused']).optional(),
  focus: StrategyNameSchema.nullable().optional(),
  /** Models the price catalog does not know: their spend is not counted, and the answer says so. */
  unpricedModels: z.array(z.string()),
  charts: z.array(ChartSchema),
  /** `offline` when answers are written by templates, with no LLM. */
  mode: z.enum(['offline', 'llm']),
});
export type Report = z.infer<typeof ReportSchema>;
