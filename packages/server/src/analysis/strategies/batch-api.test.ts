import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, strategyInput } from '../../../test/analysis/fixtures.js';
import { batchApi } from './batch-api.js';

const nightly = aggRow({ day: '2025-03-01', model: 'gpt-4o', provider: 'openai', project: 'etl', feature: 'summarize', interactive: false, requests: 500, costUsd: 40 });
const interactive = aggRow({ day: '2025-03-10', model: 'gpt-4o', provider: 'openai', project: 'etl', feature: 'summarize', requests: 500, costUsd: 60 });

describe('batchApi', () => {
  it('halves the cost of non-interactive traffic not yet batched', () => {
    const [rec, ...rest] = batchApi(strategyInput([nightly, interactive]));
    expect(rest).toEqual([]);
    RecommendationSchema.parse(rec);
    // $40 in 10 days = $120 a month, half of it saved.
    expect(rec).toMatchObject({
      id: 'batch_api:etl/summarize/gpt-4o',
      currentMonthlyCostUsd: 120,
      projectedMonthlySavingUsd: 60,
      confidence: 'medium',
      qualityRisk: 'none',
    });
    expect(rec!.evidence.find((e) => e.label === 'Share of this traffic')?.value).toBe(0.5);
  });

  it('leaves interactive and already batched traffic alone', () => {
    expect(batchApi(strategyInput([{ ...nightly, batch: true }, interactive]))).toEqual([]);
    expect(batchApi(strategyInput([{ ...nightly, interactive: true }, interactive]))).toEqual([]);
  });

  it('finds the provider from the catalog when rows do not name it, and skips hosts with no batch API', () => {
    expect(batchApi(strategyInput([{ ...nightly, provider: null }, interactive]))).toHaveLength(1);
    expect(batchApi(strategyInput([{ ...nightly, provider: null, model: 'no-cache-model' }, interactive]))).toEqual([]);
  });
});
