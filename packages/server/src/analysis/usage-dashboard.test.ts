import { describe, expect, it } from 'vitest';
import { buildUsageDashboard, isWholeDayWindow, rowsForWindow } from './usage-dashboard.js';
import type { UsageAggregateRow, UsageOverview } from '../usage/usage-store.js';

function row(day: string, model: string, project: string, extra: Partial<UsageAggregateRow> = {}): UsageAggregateRow {
  return {
    day,
    provider: 'openai',
    model,
    project,
    feature: 'chat',
    status: 'ok',
    interactive: true,
    batch: false,
    requests: 10,
    retries: 0,
    inputTokens: 1000,
    outputTokens: 100,
    cacheReadTokens: 50,
    cacheWriteTokens: 5,
    cacheWrite1hTokens: 3,
    reasoningTokens: 0,
    costUsd: 1,
    unpricedRequests: 0,
    latencyMsSum: 0,
    latencyCount: 0,
    ...extra,
  };
}

const ROWS: UsageAggregateRow[] = [
  row('2026-01-01', 'gpt-4o', 'web', { costUsd: 3 }),
  row('2026-01-01', 'gpt-4o-mini', 'batch', { costUsd: 0.1, requests: 100 }),
  row('2026-01-01', 'gpt-4o', 'web', { status: 'error', requests: 2, costUsd: 0.2 }),
  row('2026-01-04', 'claude', 'web', { costUsd: 0.7, unpricedRequests: 3, requests: 5 }),
];
const OVERVIEW: UsageOverview = { records: 117, from: '2026-01-01T08:00:00.000Z', to: '2026-01-04T17:00:00.000Z', models: ['claude', 'gpt-4o', 'gpt-4o-mini'] };

describe('buildUsageDashboard', () => {
  it('sums everything without filters, pads quiet days, ranks breakdowns by cost', () => {
    const d = buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters: {} });
    expect(d.totals).toEqual({
      requests: 117,
      costUsd: 4,
      inputTokens: 4000,
      outputTokens: 400,
      cacheReadTokens: 200,
      cacheWriteTokens: 20,
      cacheWrite1hTokens: 12,
      errorRate: Math.round((2 / 117) * 1e6) / 1e6,
      unpricedRequests: 3,
      reasoningTokens: 0,
      // 4 USD over the 114 priced requests; cache reads over every input-side token.
      costPerRequestUsd: Math.round((4 / 114) * 1e6) / 1e6,
      cacheHitRate: Math.round((200 / 4232) * 1e6) / 1e6,
    });
    expect(d.byDay).toEqual([
      { day: '2026-01-01', costUsd: 3.3, requests: 112 },
      { day: '2026-01-02', costUsd: 0, requests: 0 },
      { day: '2026-01-03', costUsd: 0, requests: 0 },
      { day: '2026-01-04', costUsd: 0.7, requests: 5 },
    ]);
    expect(d.costByModelByDay).toEqual([
      { day: '2026-01-01', model: 'gpt-4o', costUsd: 3.2 },
      { day: '2026-01-01', model: 'gpt-4o-mini', costUsd: 0.1 },
      { day: '2026-01-04', model: 'claude', costUsd: 0.7 },
    ]);
    expect(d.byModel).toEqual([
      { key: 'gpt-4o', requests: 12, costUsd: 3.2, share: 0.8 },
      { key: 'claude', requests: 5, costUsd: 0.7, share: 0.175 },
      { key: 'gpt-4o-mini', requests: 100, costUsd: 0.1, share: 0.025 },
    ]);
    expect(d.byProject).toEqual([
      { key: 'web', requests: 17, costUsd: 3.9, share: 0.975 },
      { key: 'batch', requests: 100, costUsd: 0.1, share: 0.025 },
    ]);
    expect(d.range).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-05T00:00:00.000Z' });
    expect(d.available).toEqual({ models: ['claude', 'gpt-4o', 'gpt-4o-mini'], projects: ['batch', 'web'], from: OVERVIEW.from, to: OVERVIEW.to });
  });

  it('filters by model and project; available still lists everything', () => {
    const d = buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters: { models: ['gpt-4o', 'claude'], projects: ['web'] } });
    expect(d.totals.requests).toBe(17);
    expect(d.totals.costUsd).toBe(3.9);
    expect(d.byModel.map((s) => s.key)).toEqual(['gpt-4o', 'claude']);
    expect(d.byProject).toEqual([{ key: 'web', requests: 17, costUsd: 3.9, share: 1 }]);
    expect(d.available.projects).toEqual(['batch', 'web']);
  });

  it('answers a window of whole days from the per-day rows, clipping range to it', () => {
    const filters = { from: '2026-01-02T00:00:00Z', to: '2026-01-05T00:00:00.000Z' };
    expect(rowsForWindow(ROWS, filters)).toEqual([ROWS[3]]);
    const d = buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters });
    expect(d.totals.requests).toBe(5);
    expect(d.byDay).toEqual([{ day: '2026-01-04', costUsd: 0.7, requests: 5 }]);
    expect(d.range).toEqual({ from: '2026-01-04T00:00:00.000Z', to: '2026-01-05T00:00:00.000Z' });
  });

  it('needs the store rows of a window that is not whole days, and clips range to its bounds', () => {
    const filters = { from: '2026-01-01T12:00:00Z', to: '2026-01-04T06:00:00Z' };
    expect(rowsForWindow(ROWS, filters)).toBeUndefined();
    expect(() => buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters })).toThrow(/inWindow/);
    expect(() => buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters, inWindow: [ROWS[0]!, ROWS[3]!] })).toThrow(/previousWindow/);
    const d = buildUsageDashboard({ all: ROWS, overview: OVERVIEW, filters, inWindow: [ROWS[0]!, ROWS[3]!], previousWindow: [ROWS[1]!] });
    expect(d.totals.requests).toBe(15);
    expect(d.previous).toEqual({ from: '2025-12-29T18:00:00.000Z', to: '2026-01-01T12:00:00.000Z', totals: expect.objectContaining({ requests: 100, costUsd: 0.1 }), costSources: null });
    expect(d.range).toEqual({ from: '2026-01-01T12:00:00.000Z', to: '2026-01-04T06:00:00.000Z' });
  });

  it('knows which windows per-day rows answer exactly', () => {
    expect(isWholeDayWindow({})).toBe(true);
    expect(isWholeDayWindow({ from: '2026-01-02T00:00:00Z' })).toBe(true);
    expect(isWholeDayWindow({ to: '2026-01-02T02:00:00+02:00' })).toBe(true);
    expect(isWholeDayWindow({ from: '2026-01-02T00:00:00Z', to: '2026-01-03T00:00:00.001Z' })).toBe(false);
    expect(isWholeDayWindow({ from: '2026-01-02T00:00:00+01:00' })).toBe(false);
  });

  it('is empty and null-ranged with no data, with no division by zero', () => {
    const d = buildUsageDashboard({ all: [], overview: { records: 0, from: null, to: null, models: [] }, filters: {} });
    expect(d.totals).toEqual({ requests: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, errorRate: 0, unpricedRequests: 0, reasoningTokens: 0, costPerRequestUsd: 0, cacheHitRate: 0 });
    expect(d.range).toEqual({ from: null, to: null });
    expect(d.previous).toBeNull();
    expect(d.byDay).toEqual([]);
    expect(d.byModel).toEqual([]);
  });

  it('does not pad a span of many years day by day', () => {
    const d = buildUsageDashboard({ all: [row('2000-01-01', 'm', 'p'), row('2026-01-01', 'm', 'p')], overview: OVERVIEW, filters: {} });
    expect(d.byDay.map((x) => x.day)).toEqual(['2000-01-01', '2026-01-01']);
  });

  it('breaks spend down by feature and provider, and sets this period against the one before it', () => {
    const rows = [
      row('2026-01-01', 'gpt-4o', 'web', { feature: 'search', costUsd: 2, reasoningTokens: 40 }),
      row('2026-01-02', 'gpt-4o', 'web', { feature: 'chat', provider: null, costUsd: 1, requests: 4 }),
      row('2026-01-03', 'claude', 'web', { feature: 'chat', provider: 'anthropic', costUsd: 3, status: 'error', requests: 1 }),
      row('2026-01-04', 'claude', 'api', { feature: 'chat', provider: 'anthropic', costUsd: 5, requests: 2 }),
    ];
    const overview = { records: 17, from: '2026-01-01T00:00:00.000Z', to: '2026-01-04T10:00:00.000Z', models: ['claude', 'gpt-4o'] };
    const d = buildUsageDashboard({ all: rows, overview, filters: { from: '2026-01-03T00:00:00Z', to: '2026-01-05T00:00:00Z', projects: ['web', 'api'] } });
    expect(d.byFeature).toEqual([{ key: 'chat', requests: 3, costUsd: 8, share: 1 }]);
    expect(d.byProvider).toEqual([{ key: 'anthropic', requests: 3, costUsd: 8, share: 1 }]);
    expect(d.totals).toMatchObject({ requests: 3, costUsd: 8, errorRate: Math.round((1 / 3) * 1e6) / 1e6 });
    // The two days before, under the same filters.
    expect(d.previous).toEqual({
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-03T00:00:00.000Z',
      totals: expect.objectContaining({ requests: 14, costUsd: 3, reasoningTokens: 40, errorRate: 0 }),
      // No bill stored: the previous period's cost is the records' own, and says so by having no sources.
      costSources: null,
    });
    const all = buildUsageDashboard({ all: rows, overview, filters: {} });
    expect(all.byProvider.map((s) => [s.key, s.costUsd])).toEqual([['anthropic', 8], ['openai', 2], ['unknown', 1]]);
    expect(all.byFeature.map((s) => [s.key, s.share])).toEqual([['chat', Math.round((9 / 11) * 1e6) / 1e6], ['search', Math.round((2 / 11) * 1e6) / 1e6]]);
    expect(all.previous).toBeNull();
  });
});
