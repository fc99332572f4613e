import { describe, expect, it } from 'vitest';
import type { Chart } from '@tally/protocol';
import { chartRows, shortLabel, valueFormatter, wrapLabel } from './chart-data.js';

describe('chartRows', () => {
  it('puts every series of an x label in one row, zero where a series has no point', () => {
    const chart: Chart = {
      id: 'cost_by_model_over_time',
      title: 'Cost by model per day',
      kind: 'stacked_bar',
      unit: 'USD',
      series: [
        { name: 'gpt-4o', points: [{ x: '2026-01-01', y: 2 }, { x: '2026-01-02', y: 3 }] },
        { name: 'x', points: [{ x: '2026-01-02', y: 1 }] },
      ],
    };
    expect(chartRows(chart)).toEqual([
      { x: '2026-01-01', s0: 2, s1: 0 },
      { x: '2026-01-02', s0: 3, s1: 1 },
    ]);
  });
});

describe('chart labels and values', () => {
  it('formats by unit', () => {
    expect(valueFormatter('USD').full(1234.5)).toBe('$1,234.50');
    expect(valueFormatter('USD/month').full(7.2)).toBe('$7.20/mo');
    expect(valueFormatter('ms').full(1530)).toBe('1.5 s');
  });

  it('shortens days and wraps long labels at spaces without losing words', () => {
    expect(shortLabel('2026-01-05')).toBe('Jan 5');
    expect(shortLabel('gpt-4o')).toBe('gpt-4o');
    const lines = wrapLabel('Move support/classify from gpt-4o to gpt-4o-mini', 22);
    expect(lines).toEqual(['Move support/classify', 'from gpt-4o to', 'gpt-4o-mini']);
    expect(lines.join(' ')).toBe('Move support/classify from gpt-4o to gpt-4o-mini');
    expect(wrapLabel('anthropic/claude-3-5-sonnet-20241022-long-name', 16, 2)).toEqual(['anthropic/claude', '-3-5-sonnet-202…']);
  });
});
