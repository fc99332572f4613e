import { ReportSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog } from '../../test/analysis/fixtures.js';
import { analyzeUsage } from './analyze-usage.js';
import { buildPlan } from './build-plan.js';
import { buildReport } from './build-report.js';

describe('buildReport', () => {
  it('carries the analysis in the protocol shape', () => {
    const analysis = analyzeUsage({
      rows: [
        aggRow({ day: '2025-03-01', model: 'gpt-4o', provider: 'openai', interactive: false, requests: 1000, inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20 }),
        aggRow({ day: '2025-03-10', model: 'mystery', requests: 5, unpricedRequests: 5 }),
      ],
      prefixStats: [],
      outputStats: [],
      prices: fixedPriceCatalog(),
      at: new Date('2025-03-31T00:00:00Z'),
    });
    const plan = buildPlan(analysis.recommendations);
    const report = ReportSchema.parse(buildReport({ intent: 'general', analysis, plan, mode: 'offline' }));
    expect(report.period).toEqual({ from: '2025-03-01', to: '2025-03-10', days: 10 });
    expect(report.totals).toEqual({
      requests: 1005, costUsd: 20, monthlyCostUsd: 60, inputTokens: 4_000_000, outputTokens: 1_000_000,
      cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, errorRate: 0,
    });
    expect(report.unpricedModels).toEqual(['mystery']);
    expect(report.recommendations).toHaveLength(2);
    expect(report.plan.map((s) => s.recommendationId)).toEqual(plan.map((s) => s.recommendationId));
    expect(report.totalProjectedMonthlySavingUsd).toBe(analysis.totalProjectedMonthlySavingUsd);
    expect(report.savings).toEqual(analysis.savings);
    expect(report).toMatchObject({ depth: 'full', focus: null });
    const focused = ReportSchema.parse(buildReport({ intent: 'batching', analysis, plan, mode: 'llm', depth: 'focused', focus: 'batch_api' }));
    expect(focused).toMatchObject({ depth: 'focused', focus: 'batch_api' });
  });
});
