import { ChartSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow } from '../../test/analysis/fixtures.js';
import { costByModelChart, latencyChart, savingsChart } from './charts.js';

describe('charts', () => {
  it('stacks daily cost per model, folding small models into other', () => {
    const chart = costByModelChart(
      [
        aggRow({ day: '2025-03-01', model: 'a', costUsd: 5 }),
        aggRow({ day: '2025-03-02', model: 'a', costUsd: 1 }),
        aggRow({ day: '2025-03-02', model: 'b', costUsd: 3 }),
        aggRow({ day: '2025-03-01', model: 'c', costUsd: 0.5 }),
        aggRow({ day: '2025-03-02', model: 'd', costUsd: 0.25 }),
      ],
      2,
    );
    ChartSchema.parse(chart);
    expect(chart.series).toEqual([
      { name: 'a', points: [{ x: '2025-03-01', y: 5 }, { x: '2025-03-02', y: 1 }] },
      { name: 'b', points: [{ x: '2025-03-01', y: 0 }, { x: '2025-03-02', y: 3 }] },
      { name: 'other', points: [{ x: '2025-03-01', y: 0.5 }, { x: '2025-03-02', y: 0.25 }] },
    ]);
  });

  it('orders savings largest first and draws latency per model', () => {
    const rec = (title: string, saving: number) => ({
      id: title, strategy: 'batch_api' as const, title, scope: '', rationale: '', evidence: [],
      currentMonthlyCostUsd: 0, projectedMonthlySavingUsd: saving, confidence: 'low' as const, qualityRisk: 'none' as const,
    });
    expect(savingsChart([rec('x', 1), rec('y', 5)]).series[0]!.points).toEqual([{ x: 'y', y: 5 }, { x: 'x', y: 1 }]);
    expect(ChartSchema.parse(latencyChart([{ key: 'm', requests: 3, meanLatencyMs: 800 }])).series[0]!.points).toEqual([{ x: 'm', y: 800 }]);
  });
});
