import { describe, expect, it } from 'vitest';
import { spendByChart, spendOverTimeChart } from './dashboard-charts.js';

describe('dashboard charts', () => {
  it('stacks spend per day by model, biggest spender first, zero on days a model was not used', () => {
    const chart = spendOverTimeChart([
      { day: '2026-10-02', model: 'small', costUsd: 1 },
      { day: '2026-10-01', model: 'big', costUsd: 5 },
      { day: '2026-10-02', model: 'big', costUsd: 4 },
    ]);
    expect(chart.kind).toBe('stacked_bar');
    expect(chart.series).toEqual([
      { name: 'big', points: [{ x: '2026-10-01', y: 5 }, { x: '2026-10-02', y: 4 }] },
      { name: 'small', points: [{ x: '2026-10-01', y: 0 }, { x: '2026-10-02', y: 1 }] },
    ]);
  });

  it('keeps days without any usage, at zero', () => {
    const chart = spendOverTimeChart([{ day: '2026-10-03', model: 'm', costUsd: 2 }], ['2026-10-01', '2026-10-02', '2026-10-03']);
    expect(chart.series[0]!.points.map((p) => p.y)).toEqual([0, 0, 2]);
  });

  it('has no series without data', () => {
    expect(spendOverTimeChart([]).series).toEqual([]);
  });

  it('draws a breakdown as one bar per key in the given order', () => {
    const chart = spendByChart('by-project', 'Spend by project', [{ key: 'support', costUsd: 2 }, { key: 'search', costUsd: 1 }]);
    expect(chart.series[0]!.points).toEqual([{ x: 'support', y: 2 }, { x: 'search', y: 1 }]);
  });
});
