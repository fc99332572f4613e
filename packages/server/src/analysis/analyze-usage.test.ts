import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog, outputRow, prefixRow, strategyInput } from '../../test/analysis/fixtures.js';
import { oversizedLimits } from './strategies/oversized-limits.js';
import { analyzeUsage } from './analyze-usage.js';

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

  it('combines savings in sequence on the same traffic, and splits the headline by quality risk', () => {
    // Without a model change: failed calls dropped ($2), nightly calls halved ($5): $32 -> $25, x 3 = $21.
    // Then on gpt-4.1 ($2 in, $8 out): $16 + $8 / 2 = $20, x 3 = $96 - $60 = $36 in all; the switch adds $15.
    expect(analysis.savings).toEqual({
      withoutModelChange: { monthlySavingUsd: 21, confidence: 'medium', recommendations: 2 },
      modelSwitches: { monthlySavingUsd: 15, confidence: 'high', recommendations: 1 },
      combinedMonthlySavingUsd: 36,
    });
    expect(analysis.totalProjectedMonthlySavingUsd).toBe(36);
  });

  it('never lists or totals a recommendation worth $0', () => {
    // Limits of 4,000 tokens where 99% of answers use 300 and the longest 500: oversized, but no answer ran past
    // the proposed 768, so the strategy's finding is worth $0 and is left out.
    const limits = outputRow({ ...slice, requests: 1600, limitedRequests: 1600, meanMaxOutputTokens: 4000, p50OutputTokens: 200, p99OutputTokens: 300, maxOutputTokensSeen: 500 });
    expect(oversizedLimits(strategyInput(rows, { outputStats: [limits] }))[0]?.projectedMonthlySavingUsd).toBe(0);
    const withLimits = analyzeUsage({ rows, prefixStats: [], outputStats: [limits], prices: fixedPriceCatalog(), at: new Date('2025-03-31T00:00:00Z') });
    expect(withLimits.byStrategy.oversized_limits).toEqual([]);
    expect(withLimits.findings.map((f) => [f.strategy, f.projectedMonthlySavingUsd])).toEqual([['oversized_limits', 0]]);
    expect(withLimits.recommendations.map((r) => r.strategy)).toEqual(['cheaper_model', 'batch_api', 'error_waste']);
    expect(withLimits.savings.combinedMonthlySavingUsd).toBe(36);
  });

  it('projects from the span the question asked about when it names one', () => {
    // $32 over a 30 x 24 h span asked about is $32 a month, whatever hours the calls themselves cover.
    const asked = analyzeUsage({ rows, prefixStats: [], outputStats: [], prices: fixedPriceCatalog(), at: new Date('2025-03-31T00:00:00Z'), span: { fromMs: 0, toMs: 30 * 24 * 3_600_000 } });
    expect(asked.breakdown.totals.monthlyCostUsd).toBe(32);
  });

  it('draws cost over time, savings and latency', () => {
    expect(analysis.charts.map((c) => c.id)).toEqual(['cost_by_model_over_time', 'savings_by_recommendation', 'latency_by_model']);
  });

  it('has nothing to say about no data', () => {
    const empty = analyzeUsage({ rows: [], prefixStats: [], outputStats: [], prices: fixedPriceCatalog(), at: new Date() });
    expect(empty.recommendations).toEqual([]);
    expect(empty.totalProjectedMonthlySavingUsd).toBe(0);
    expect(empty.savings.withoutModelChange).toEqual({ monthlySavingUsd: 0, confidence: 'low', recommendations: 0 });
    expect(empty.charts).toEqual([]);
  });
});
