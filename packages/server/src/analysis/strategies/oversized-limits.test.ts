import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, outputRow, strategyInput } from '../../../test/analysis/fixtures.js';
import { oversizedLimits, proposedOutputLimit } from './oversized-limits.js';

const rows = [
  aggRow({ day: '2025-03-01', model: 'gpt-4o', requests: 100_000, costUsd: 1000 }),
  aggRow({ day: '2025-03-10', model: 'gpt-4o', requests: 1, costUsd: 0 }),
];
const stats = outputRow({ model: 'gpt-4o', requests: 100_000, limitedRequests: 100_000, meanMaxOutputTokens: 4096, p50OutputTokens: 150, p99OutputTokens: 400, maxOutputTokensSeen: 4096 });

describe('oversizedLimits', () => {
  it('bounds the saving by what the longest 1% spend beyond the proposed limit', () => {
    const [rec, ...rest] = oversizedLimits(strategyInput(rows, { outputStats: [stats] }));
    expect(rest).toEqual([]);
    RecommendationSchema.parse(rec);
    // Limit 1,024 (2 x 400 rounded up to 256). 1,000 tail requests x (4,096 - 1,024) tokens x $10/MTok
    // = $30.72 in 10 days, $92.16 a month.
    expect(rec).toMatchObject({
      id: 'oversized_limits:app/chat/gpt-4o',
      title: 'Lower the output limit of app/chat on gpt-4o to 1,024 tokens',
      currentMonthlyCostUsd: 3000,
      projectedMonthlySavingUsd: 92.16,
      confidence: 'low',
      qualityRisk: 'low',
    });
  });

  it('reports an oversized limit that saves no money as a $0 finding, saying so', () => {
    const [rec] = oversizedLimits(strategyInput(rows, { outputStats: [{ ...stats, maxOutputTokensSeen: 900 }] }));
    expect(rec?.projectedMonthlySavingUsd).toBe(0);
    expect(rec?.rationale).toContain('saves no money directly');
    // A bound under the threshold ($0.03 a month) is also reported as $0.
    const [small] = oversizedLimits(strategyInput(rows, { outputStats: [{ ...stats, limitedRequests: 100, maxOutputTokensSeen: 2048 }] }));
    expect(small?.projectedMonthlySavingUsd).toBe(0);
    expect(small?.rationale).toContain('too little to count as a saving');
  });

  it('makes nothing when the limit fits the outputs or there is too little evidence', () => {
    expect(oversizedLimits(strategyInput(rows, { outputStats: [{ ...stats, meanMaxOutputTokens: 1200 }] }))).toEqual([]);
    expect(oversizedLimits(strategyInput(rows, { outputStats: [{ ...stats, limitedRequests: 99 }] }))).toEqual([]);
  });

  it('proposes twice the p99 in steps of 256', () => {
    expect(proposedOutputLimit(400)).toBe(1024);
    expect(proposedOutputLimit(10)).toBe(256);
    expect(proposedOutputLimit(512)).toBe(1024);
  });
});
