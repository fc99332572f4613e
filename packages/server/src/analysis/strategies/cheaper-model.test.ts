import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, strategyInput } from '../../../test/analysis/fixtures.js';
import { findModelTier } from '../model-tiers.js';
import { cheaperModel, qualityRisk } from './cheaper-model.js';

// 10 days of data (factor 3). gpt-4o at $2.5/$10: 4M in + 1M out = $20 in the period.
const gpt4o = aggRow({ day: '2025-03-01', model: 'gpt-4o', provider: 'openai', project: 'support', feature: 'reply', requests: 1000, inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20 });
const lastDay = aggRow({ day: '2025-03-10', model: 'gpt-4o-mini', requests: 1, costUsd: 0 });

describe('cheaperModel', () => {
  it('proposes the closest-quality cheaper model, priced on the same tokens', () => {
    const [rec, ...rest] = cheaperModel(strategyInput([gpt4o, lastDay]));
    expect(rest).toEqual([]);
    RecommendationSchema.parse(rec);
    // gpt-4.1 at $2/$8: 4M x 2 + 1M x 8 = $16, saving $4 in 10 days = $12 a month.
    expect(rec).toMatchObject({
      id: 'cheaper_model:support/reply/gpt-4o',
      strategy: 'cheaper_model',
      title: 'Move support/reply from gpt-4o to gpt-4.1',
      scope: 'project=support feature=reply model=gpt-4o',
      currentMonthlyCostUsd: 60,
      projectedMonthlySavingUsd: 12,
      confidence: 'high',
      qualityRisk: 'low',
    });
    const evidence = Object.fromEntries(rec!.evidence.map((e) => [e.label, e.value]));
    expect(evidence['Cost on gpt-4o in period']).toBe(20);
    expect(evidence['Projected cost on gpt-4.1 in period']).toBe(16);
    // gpt-4.1-mini at $0.4/$1.6: $3.2 in the period, so $16.8 x 3 = $50.4 a month, one tier down.
    expect(evidence['Bigger saving with gpt-4.1-mini (balanced tier, medium quality risk)']).toBeCloseTo(50.4, 9);
  });

  it('lets short-answer traffic (labels) go a tier down at low risk', () => {
    // 1,000 requests of 10 output tokens: $10 input + $0.1 output = $10.1 on gpt-4o.
    const labels = { ...gpt4o, outputTokens: 10_000, costUsd: 10.1 };
    const [rec] = cheaperModel(strategyInput([labels, lastDay]));
    // gpt-4.1-mini: 4M x 0.4 + 10k x 1.6 = $1.616, saving $8.484 x 3 = $25.452.
    expect(rec).toMatchObject({ title: 'Move support/reply from gpt-4o to gpt-4.1-mini', qualityRisk: 'low' });
    expect(rec?.projectedMonthlySavingUsd).toBeCloseTo(25.452, 6);
    // gpt-4o-mini saves more but is two tiers down: medium, so it is only mentioned.
    expect(rec?.evidence.some((e) => e.label.startsWith('Bigger saving with gpt-4o-mini (small tier, medium'))).toBe(true);
  });

  it('keeps the discount the traffic already gets (batch) in the projection', () => {
    const batched = { ...gpt4o, batch: true, interactive: false, costUsd: 10 };
    const [rec] = cheaperModel(strategyInput([batched, lastDay]));
    // Half price now, half price after: $10 x (16/20) = $8, saving $2 x 3 = $6.
    expect(rec?.projectedMonthlySavingUsd).toBe(6);
  });

  it('falls through to a smaller model when the same-tier one does not save enough', () => {
    const prices = strategyInput([]).prices;
    const noSameTier = { ...prices, modelPrices: (m: string) => (m === 'gpt-4.1' ? null : prices.modelPrices(m)) };
    const [rec] = cheaperModel(strategyInput([gpt4o, lastDay], { prices: noSameTier }));
    expect(rec?.title).toBe('Move support/reply from gpt-4o to gpt-4.1-mini');
    expect(rec?.projectedMonthlySavingUsd).toBeCloseTo(50.4, 9);
    expect(rec?.qualityRisk).toBe('medium');
  });

  it('makes nothing for unknown, unpriced or already cheapest models, or below the threshold', () => {
    expect(cheaperModel(strategyInput([{ ...gpt4o, model: 'llama-3-70b' }, lastDay]))).toEqual([]);
    expect(cheaperModel(strategyInput([{ ...gpt4o, model: 'gpt-4o-mini' }, lastDay]))).toEqual([]);
    expect(cheaperModel(strategyInput([{ ...gpt4o, model: 'gpt-5' }, lastDay]))).toEqual([]);
    // $0.2 saving in 10 days = $0.6 a month: under $1.
    const tiny = { ...gpt4o, inputTokens: 40_000, outputTokens: 10_000, costUsd: 0.2 };
    expect(cheaperModel(strategyInput([tiny, lastDay]))).toEqual([]);
  });
});

describe('qualityRisk', () => {
  const gpt4o = findModelTier('gpt-4o')!;
  const gpt41 = findModelTier('gpt-4.1')!;
  const mini = findModelTier('gpt-4.1-mini')!;
  it('rises with the tier drop, long outputs and reasoning', () => {
    expect(qualityRisk(gpt4o, gpt41, 200, 0)).toBe('low');
    expect(qualityRisk(gpt4o, gpt41, 1500, 0)).toBe('medium');
    expect(qualityRisk(gpt4o, mini, 200, 0)).toBe('medium');
    expect(qualityRisk(gpt4o, mini, 1500, 0)).toBe('high');
    expect(qualityRisk(findModelTier('o1')!, findModelTier('o3')!, 200, 0.5)).toBe('medium');
    expect(qualityRisk(findModelTier('o1')!, gpt41, 200, 0.1)).toBe('high');
    expect(qualityRisk(gpt4o, mini, 20, 0)).toBe('low');
    expect(qualityRisk(gpt4o, findModelTier('gpt-4o-mini')!, 20, 0)).toBe('medium');
    expect(qualityRisk(gpt4o, findModelTier('gpt-4o-mini')!, 500, 0)).toBe('high');
  });
});
