import { PlanStepSchema, type Recommendation } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { buildPlan } from './build-plan.js';

const rec = (id: string, strategy: Recommendation['strategy'], saving: number, qualityRisk: Recommendation['qualityRisk'] = 'low'): Recommendation => ({
  id, strategy, title: id, scope: 's', rationale: 'r', evidence: [], currentMonthlyCostUsd: 100, projectedMonthlySavingUsd: saving, confidence: 'medium', qualityRisk,
});

describe('buildPlan', () => {
  it('orders by saving per effort, then by saving', () => {
    const plan = buildPlan([
      rec('model', 'cheaper_model', 100), // medium: 50 per effort unit
      rec('cache', 'prompt_caching', 60), // low: 60
      rec('batch', 'batch_api', 100), // medium: 50, ties with model, id decides
      rec('risky', 'cheaper_model', 300, 'high'), // high: 75
      rec('limits', 'oversized_limits', 5), // low: 5
    ]);
    plan.forEach((s) => PlanStepSchema.parse(s));
    expect(plan.map((s) => [s.order, s.recommendationId, s.effort])).toEqual([
      [1, 'risky', 'high'],
      [2, 'cache', 'low'],
      [3, 'batch', 'medium'],
      [4, 'model', 'medium'],
      [5, 'limits', 'low'],
    ]);
    expect(plan[0]!.projectedMonthlySavingUsd).toBe(300);
    expect(plan[1]!.action).toContain('cache_control');
  });

  it('gives every line its confidence, quality risk and headline group, and leaves out $0', () => {
    const plan = buildPlan([rec('model', 'cheaper_model', 100), rec('cache', 'prompt_caching', 60, 'none'), rec('limits', 'oversized_limits', 0)]);
    expect(plan.map((s) => [s.recommendationId, s.confidence, s.qualityRisk, s.group])).toEqual([
      ['cache', 'medium', 'none', 'no_quality_risk'],
      ['model', 'medium', 'low', 'model_switch'],
    ]);
  });

  it('is empty without recommendations', () => {
    expect(buildPlan([])).toEqual([]);
  });
});
