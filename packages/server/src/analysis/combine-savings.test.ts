import { RecommendationSchema, type Recommendation } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog } from '../../test/analysis/fixtures.js';
import type { ModelPrices } from '../pricing/price-catalog.js';
import { NO_ACTIONS, combinedMonthlySaving, costAfterActions, partsOfSlice, type TrafficPart } from './combine-savings.js';
import { groupSlices } from './traffic-slices.js';

const prices = fixedPriceCatalog();
const at = new Date('2025-03-31T00:00:00Z');
const model = (id: string): ModelPrices => prices.modelPrices(id)!;
const part = (p: Partial<TrafficPart>): TrafficPart => ({
  inputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  failed: false,
  batchable: false,
  ...p,
});

describe('costAfterActions', () => {
  // gpt-4o: $2.50 in, $1.25 cache read, no write premium (writes at input), $10 out.
  // 10M input + 1M output = $25 + $10 = $35.
  const oneMix = [part({ inputTokens: 10_000_000, outputTokens: 1_000_000, costUsd: 35 })];
  const cache = { readTokens: 6_000_000, writeTokens: 1_000_000 };

  it('changes nothing without actions', () => {
    expect(costAfterActions(oneMix, model('gpt-4o'), NO_ACTIONS)).toBeCloseTo(35, 9);
  });

  it('prices caching after a model switch at the new model cache prices, not by proportions', () => {
    // Caching alone: 3M x 2.5 + 6M x 1.25 + 1M x 2.5 + 1M x 10 = 7.5 + 7.5 + 2.5 + 10 = $27.50.
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, cache })).toBeCloseTo(27.5, 9);
    // gpt-4.1 alone ($2 in, $8 out): 10M x 2 + 1M x 8 = $28.
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('gpt-4.1') })).toBeCloseTo(28, 9);
    // Both, in sequence, on gpt-4.1's prices ($0.50 cache read): 3M x 2 + 6M x 0.5 + 1M x 2 + 1M x 8 = $19.
    // Proportions would say 35 x (27.5 / 35) x (28 / 35) = $22.
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('gpt-4.1'), cache })).toBeCloseTo(19, 9);
  });

  it('finds nothing to cache on a model without cache prices', () => {
    // no-cache-model bills $1 for input and output, and cache tokens as input: 10M + 1M = $11 either way.
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('no-cache-model'), cache })).toBeCloseTo(11, 9);
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('no-cache-model') })).toBeCloseTo(11, 9);
  });

  it('drops failed calls first, and with them their share of the cached prefix', () => {
    // 8M ok input ($20) + 2M failed ($5); the cache estimate covers all 10M, the ok calls hold 80% of it:
    // reads 4.8M, writes 0.8M. Ok calls: 2.4M x 2.5 + 4.8M x 1.25 + 0.8M x 2.5 = 6 + 6 + 2 = $14.
    const parts = [part({ inputTokens: 8_000_000, costUsd: 20 }), part({ inputTokens: 2_000_000, costUsd: 5, failed: true })];
    expect(costAfterActions(parts, model('gpt-4o'), { ...NO_ACTIONS, dropFailed: true, cache })).toBeCloseTo(14, 9);
  });

  it('discounts only the batchable part, after the switch, and keeps what a part already saved', () => {
    // Interactive 4M/1M ($20), batchable 2M/0.5M ($10), already batched 2M/0.5M billed at half ($5).
    const parts = [
      part({ inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20 }),
      part({ inputTokens: 2_000_000, outputTokens: 500_000, costUsd: 10, batchable: true }),
      part({ inputTokens: 2_000_000, outputTokens: 500_000, costUsd: 5 }),
    ];
    // On gpt-4.1: 4M x 2 + 1M x 8 = $16; batchable 2M x 2 + 0.5M x 8 = $8, halved = $4; the batched one
    // keeps its half price: $8 x (5 / 10) = $4. Total $24.
    expect(costAfterActions(parts, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('gpt-4.1'), batchDiscount: 0.5 })).toBeCloseTo(24, 9);
  });

  it('cuts output at the price of the model it runs on by then', () => {
    // 0.5M output tokens fewer on gpt-4.1 ($8): 10M x 2 + 0.5M x 8 = $24.
    expect(costAfterActions(oneMix, model('gpt-4o'), { ...NO_ACTIONS, switchTo: model('gpt-4.1'), outputTokensCut: 500_000 })).toBeCloseTo(24, 9);
  });
});

describe('combinedMonthlySaving', () => {
  const where = { model: 'gpt-4o', provider: 'openai', project: 'support', feature: 'reply' } as const;
  // 10 days (factor 3): interactive $20, nightly $10, failed $2 on gpt-4o.
  const slices = groupSlices([
    aggRow({ ...where, day: '2025-03-01', requests: 1000, inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20 }),
    aggRow({ ...where, day: '2025-03-05', interactive: false, requests: 500, inputTokens: 2_000_000, outputTokens: 500_000, costUsd: 10 }),
    aggRow({ ...where, day: '2025-03-10', status: 'error', requests: 100, inputTokens: 400_000, outputTokens: 100_000, costUsd: 2 }),
  ]);
  const rec = (strategy: Recommendation['strategy'], saving: number, extra: Partial<Recommendation> = {}): Recommendation =>
    RecommendationSchema.parse({
      id: `${strategy}:support/reply/gpt-4o`,
      strategy,
      title: strategy,
      scope: '',
      rationale: '',
      evidence: [],
      currentMonthlyCostUsd: 96,
      projectedMonthlySavingUsd: saving,
      confidence: 'high',
      qualityRisk: 'none',
      ...extra,
    });
  const combine = (recommendations: Recommendation[]) => combinedMonthlySaving({ recommendations, slices, prices, monthlyFactor: 3, at });

  it('splits the slice into failed and batchable parts', () => {
    expect(partsOfSlice(slices[0]!).map((p) => [p.failed, p.batchable, p.costUsd])).toEqual([
      [false, false, 20],
      [false, true, 10],
      [true, false, 2],
    ]);
  });

  it('applies the recommendations in sequence on the slice', () => {
    const batch = rec('batch_api', 15, { evidence: [{ label: 'Batch discount', value: 0.5, unit: 'ratio' }] });
    const errors = rec('error_waste', 6);
    const switchTo = rec('cheaper_model', 19.2, { targetModel: 'gpt-4.1', qualityRisk: 'low' });
    // Failed calls dropped ($2), nightly halved ($5): $32 -> $25, $7 x 3 = $21 a month.
    expect(combine([batch, errors])).toBe(21);
    // Then on gpt-4.1: $16 + $8 / 2 = $20; $12 x 3 = $36 a month (proportions said $35.25).
    expect(combine([batch, errors, switchTo])).toBe(36);
  });

  it('counts a recommendation it cannot reprice at its own saving, capped at the slice spend', () => {
    const unknownTarget = rec('cheaper_model', 19.2, { targetModel: 'not-in-catalog' });
    expect(combine([unknownTarget])).toBe(19.2);
    const elsewhere = RecommendationSchema.parse({ ...rec('batch_api', 3), id: 'batch_api:x/y/z' });
    expect(combine([elsewhere])).toBe(3);
  });
});
