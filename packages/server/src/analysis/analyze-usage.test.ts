import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog, outputRow, prefixRow } from '../../test/analysis/fixtures.js';
import { analyzeUsage, combinedMonthlySaving } from './analyze-usage.js';

// 10 days, factor 3. One slice, support/reply on gpt-4o: $20 interactive + $10 nightly + $2 failed.
const slice = { model: 'gpt-4o', provider: 'openai', project: 'support', feature: 'reply' } as const;
const rows = [
  aggRow({ ...slice, day: '2025-03-01', requests: 1000, inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20, latencyMsSum: 1_200_000, latencyCount: 1000 }),
  aggRow({ ...slice, day: '2025-03-05', interactive: false, requests: 500, inputTokens: 2_000_000, outputTokens: 500_000, costUsd: 10 }),
  aggRow({ ...slice, day: '2025-03-10', status: 'error', requests: 100, inputTokens: 400_000, outputTokens: 100_000, costUsd: 2 }),
];

describe('analyzeUsage', () => {
  const analysis = analyzeUsage({
    rows,
    prefixStats: [prefixRow({ ...slice, requests: 1600, prefixTokens: 3_200_000, days: 160, activeDays: 10 })],
    outputStats: [outputRow({ ...slice })],
    prices: fixedPriceCatalog(),
    at: new Date('2025-03-31T00:00:00Z'),
  });

  it('runs the breakdown and every strategy, largest saving first', () => {
    expect(analysis.breakdown.totals.monthlyCostUsd).toBe(96);
    expect(analysis.recommendations.map((r) => [r.strategy, r.projectedMonthlySavingUsd])).toEqual([
      // 6.4M in + 1.6M out: $32 on gpt-4o, $25.6 on gpt-4.1: $6.4 x 3.
      ['cheaper_model', 19.2],
      // $10 of non-interactive calls, half saved, x 3.
      ['batch_api', 15],
      // $2 of failed calls, x 3.
      ['error_waste', 6],
    ]);
    analysis.recommendations.forEach((r) => RecommendationSchema.parse(r));
    expect(analysis.byStrategy.prompt_caching).toEqual([]);
    expect(analysis.byStrategy.cheaper_model).toHaveLength(1);
  });

  it('combines savings on the same traffic instead of adding them', () => {
    // $96 a month keeps 96 x (1 - 19.2/96)(1 - 15/96)(1 - 6/96) = $60.75: $35.25 saved, not 19.2 + 15 + 6 = $40.2.
    expect(analysis.totalProjectedMonthlySavingUsd).toBe(35.25);
  });

  it('draws cost over time, savings and latency', () => {
    expect(analysis.charts.map((c) => c.id)).toEqual(['cost_by_model_over_time', 'savings_by_recommendation', 'latency_by_model']);
  });

  it('has nothing to say about no data', () => {
    const empty = analyzeUsage({ rows: [], prefixStats: [], outputStats: [], prices: fixedPriceCatalog(), at: new Date() });
    expect(empty.recommendations).toEqual([]);
    expect(empty.totalProjectedMonthlySavingUsd).toBe(0);
    expect(empty.charts).toEqual([]);
  });
});

describe('combinedMonthlySaving', () => {
  const rec = (id: string, saving: number) =>
    RecommendationSchema.parse({ id, strategy: 'batch_api', title: id, scope: '', rationale: '', evidence: [], currentMonthlyCostUsd: 0, projectedMonthlySavingUsd: saving, confidence: 'low', qualityRisk: 'none' });
  it('adds disjoint slices and compounds savings within one', () => {
    const costs = new Map([['a/b/m', 100], ['c/d/m', 50]]);
    // a/b/m: 100 x (1 - 0.5 x 0.8) = 60; c/d/m: 10.
    expect(combinedMonthlySaving([rec('batch_api:a/b/m', 50), rec('error_waste:a/b/m', 20), rec('batch_api:c/d/m', 10)], costs)).toBe(70);
  });
  it('adds savings whose slice has no known cost', () => {
    expect(combinedMonthlySaving([rec('batch_api:x/y/z', 3), rec('error_waste:x/y/z', 4)], new Map())).toBe(7);
  });
});
