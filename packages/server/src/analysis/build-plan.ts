import type { PlanStep, Recommendation } from '@tally/protocol';
import { isModelSwitch } from './analyze-usage.js';

type Effort = PlanStep['effort'];
const EFFORT_WEIGHT: Record<Effort, number> = { low: 1, medium: 2, high: 4 };

/**
 * Orders recommendations into a plan: most saving per unit of effort first, so cheap wins come
 * before migrations of similar value. Ties go to the larger saving, then the id, for stable output.
 * Every line carries its confidence and quality risk, and the headline total it counts in; a
 * recommendation worth $0 is not a step.
 */
export function buildPlan(recommendations: readonly Recommendation[]): PlanStep[] {
  return recommendations
    .filter((rec) => rec.projectedMonthlySavingUsd > 0)
    .map((rec) => ({ rec, effort: effortOf(rec) }))
    .sort(
      (a, b) =>
        b.rec.projectedMonthlySavingUsd / EFFORT_WEIGHT[b.effort] - a.rec.projectedMonthlySavingUsd / EFFORT_WEIGHT[a.effort] ||
        b.rec.projectedMonthlySavingUsd - a.rec.projectedMonthlySavingUsd ||
        a.rec.id.localeCompare(b.rec.id),
    )
    .map(({ rec, effort }, i) => ({
      order: i + 1,
      recommendationId: rec.id,
      action: actionOf(rec),
      projectedMonthlySavingUsd: rec.projectedMonthlySavingUsd,
      effort,
      confidence: rec.confidence,
      qualityRisk: rec.qualityRisk,
      group: isModelSwitch(rec) ? ('model_switch' as const) : ('no_quality_risk' as const),
    }));
}

/** What the change takes: a setting (low), code in one place (medium), a migration with evaluation (high). */
export function effortOf(rec: Recommendation): Effort {
  switch (rec.strategy) {
    case 'oversized_limits':
    case 'prompt_caching':
      return 'low';
    case 'batch_api':
    case 'error_waste':
      return 'medium';
    case 'cheaper_model':
      return rec.qualityRisk === 'high' ? 'high' : 'medium';
    default: {
      const never: never = rec.strategy;
      throw new Error(`unknown strategy ${String(never)}`);
    }
  }
}

export function actionOf(rec: Recommendation): string {
  switch (rec.strategy) {
    case 'cheaper_model':
      return `${rec.title}: replay a sample of real requests on both models, compare the answers, then switch.`;
    case 'prompt_caching':
      return `${rec.title}: put the stable system prompt, tools and examples first (on Anthropic, mark them with cache_control), then watch cache reads rise.`;
    case 'batch_api':
      return `${rec.title}: queue these requests as batch jobs and collect the results within 24 hours.`;
    case 'error_waste':
      return `${rec.title}: group the failures by error message, fix the top causes, and retry only with backoff.`;
    case 'oversized_limits':
      return `${rec.title}, after checking the few longest answers.`;
    default: {
      const never: never = rec.strategy;
      throw new Error(`unknown strategy ${String(never)}`);
    }
  }
}
