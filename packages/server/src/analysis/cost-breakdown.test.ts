import { describe, expect, it } from 'vitest';
import { aggRow } from '../../test/analysis/fixtures.js';
import { computeCostBreakdown } from './cost-breakdown.js';

const rows = [
  aggRow({ day: '2025-03-01', model: 'gpt-4o', project: 'support', feature: 'reply', requests: 100, inputTokens: 1000, outputTokens: 500, costUsd: 60, latencyMsSum: 100_000, latencyCount: 100 }),
  aggRow({ day: '2025-03-01', model: 'gpt-4o', project: 'support', feature: 'reply', status: 'error', requests: 10, retries: 4, costUsd: 0 }),
  aggRow({ day: '2025-03-05', model: 'gpt-4o-mini', project: 'search', feature: 'rank', requests: 300, inputTokens: 3000, outputTokens: 30, cacheReadTokens: 700, costUsd: 30, latencyMsSum: 60_000, latencyCount: 300 }),
  aggRow({ day: '2025-03-10', model: 'gpt-4o', project: 'search', feature: 'rank', status: 'timeout', requests: 40, cacheWriteTokens: 20, costUsd: 10 }),
  aggRow({ day: '2025-03-10', model: 'mystery-1', project: 'search', feature: 'rank', requests: 50, unpricedRequests: 50, costUsd: 0 }),
];

describe('computeCostBreakdown', () => {
  const b = computeCostBreakdown(rows);

  it('finds the period from the first to the last day, inclusive', () => {
    expect(b.period).toEqual({ from: '2025-03-01', to: '2025-03-10', days: 10 });
    expect(b.monthlyFactor).toBe(3);
  });

  it('sums totals and projects spend to 30 days', () => {
    expect(b.totals).toMatchObject({
      requests: 500,
      costUsd: 100,
      monthlyCostUsd: 300,
      inputTokens: 4000,
      outputTokens: 530,
      cacheReadTokens: 700,
      cacheWriteTokens: 20,
      failedRequests: 50,
      timeoutRequests: 40,
      retries: 4,
      errorRate: 0.1,
      unpricedRequests: 50,
    });
  });

  it('breaks spend down by model, project, feature and day with shares', () => {
    expect(b.byModel.map((r) => [r.key, r.requests, r.costUsd, r.share])).toEqual([
      ['gpt-4o', 150, 70, 0.7],
      ['gpt-4o-mini', 300, 30, 0.3],
      ['mystery-1', 50, 0, 0],
    ]);
    expect(b.byProject.map((r) => [r.key, r.costUsd, r.share])).toEqual([
      ['support', 60, 0.6],
      ['search', 40, 0.4],
    ]);
    expect(b.byFeature.map((r) => r.key)).toEqual(['reply', 'rank']);
    expect(b.byDay.map((r) => [r.key, r.costUsd])).toEqual([
      ['2025-03-01', 60],
      ['2025-03-05', 30],
      ['2025-03-10', 10],
    ]);
  });

  it('computes mean latency over requests that reported one', () => {
    expect(b.latencyByModel).toEqual([
      { key: 'gpt-4o', requests: 100, meanLatencyMs: 1000 },
      { key: 'gpt-4o-mini', requests: 300, meanLatencyMs: 200 },
    ]);
  });

  it('lists unpriced models', () => {
    expect(b.unpricedModels).toEqual(['mystery-1']);
  });

  it('handles no data', () => {
    const empty = computeCostBreakdown([]);
    expect(empty.period).toBeNull();
    expect(empty.totals.monthlyCostUsd).toBe(0);
    expect(empty.totals.errorRate).toBe(0);
  });

  it('projects from the hours between the first and last call, not from the calendar days touched', () => {
    const at = (iso: string) => Date.parse(iso);
    // A rolling 7 x 24 h export: 8 calendar days, 7 days of time. $700 in it is $3,000 a month.
    const week = [
      aggRow({ day: '2025-03-01', model: 'gpt-4o', requests: 10, costUsd: 100, firstMs: at('2025-03-01T10:00:00Z'), lastMs: at('2025-03-01T23:00:00Z') }),
      aggRow({ day: '2025-03-08', model: 'gpt-4o', requests: 60, costUsd: 600, firstMs: at('2025-03-08T00:10:00Z'), lastMs: at('2025-03-08T10:00:00Z') }),
    ];
    const weekly = computeCostBreakdown(week);
    expect(weekly.period?.days).toBe(8);
    expect(weekly.projection).toMatchObject({ hours: 168, rough: false });
    expect(weekly.totals.monthlyCostUsd).toBe(3000);
    // 24 calls over 3 hours: projected from 3 hours, and rough; not scaled x30 as one whole day.
    const burst = [aggRow({ day: '2025-03-01', model: 'gpt-4o', requests: 24, costUsd: 1.2, firstMs: at('2025-03-01T09:00:00Z'), lastMs: at('2025-03-01T12:00:00Z') })];
    const short = computeCostBreakdown(burst);
    expect(short.projection).toMatchObject({ hours: 3, rough: true });
    expect(short.totals.monthlyCostUsd).toBe(288);
    // The span asked about wins over the data's: a 30-day question over the same burst.
    const asked = computeCostBreakdown(burst, { fromMs: at('2025-02-01T00:00:00Z'), toMs: at('2025-03-03T00:00:00Z') });
    expect(asked.projection).toMatchObject({ hours: 720, rough: false });
    expect(asked.totals.monthlyCostUsd).toBe(1.2);
  });
});
