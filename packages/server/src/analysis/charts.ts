import type { Chart, Recommendation } from '@tally/protocol';
import type { UsageAggregateRow } from '../usage/usage-store.js';
import type { LatencyRow } from './cost-breakdown.js';
import { roundUsd } from './round.js';

/** Models drawn as their own series; the rest are summed as `other`, so the chart stays legible. */
export const CHART_TOP_MODELS = 5;

/** Daily spend per model, stacked: where the money goes over time. */
export function costByModelChart(rows: readonly UsageAggregateRow[], topModels = CHART_TOP_MODELS): Chart {
  const costByModel = new Map<string, number>();
  for (const r of rows) costByModel.set(r.model, (costByModel.get(r.model) ?? 0) + r.costUsd);
  const top = [...costByModel.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, topModels)
    .map(([model]) => model);
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const names = costByModel.size > top.length ? [...top, 'other'] : top;
  const cells = new Map<string, number>();
  for (const r of rows) {
    const name = top.includes(r.model) ? r.model : 'other';
    const cell = `${name}\u0000${r.day}`;
    cells.set(cell, (cells.get(cell) ?? 0) + r.costUsd);
  }
  return {
    id: 'cost_by_model_over_time',
    title: 'Cost by model per day',
    kind: 'stacked_bar',
    unit: 'USD',
    series: names.map((name) => ({
      name,
      points: days.map((day) => ({ x: day, y: roundUsd(cells.get(`${name}\u0000${day}`) ?? 0) })),
    })),
  };
}

/** Projected monthly saving of each recommendation, largest first. */
export function savingsChart(recommendations: readonly Recommendation[]): Chart {
  return {
    id: 'savings_by_recommendation',
    title: 'Projected monthly saving by recommendation',
    kind: 'bar',
    unit: 'USD/month',
    series: [
      {
        name: 'Projected monthly saving',
        points: [...recommendations]
          .sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd)
          .map((r) => ({ x: r.title, y: r.projectedMonthlySavingUsd })),
      },
    ],
  };
}

/** Mean latency per model. */
export function latencyChart(latencyByModel: readonly LatencyRow[]): Chart {
  return {
    id: 'latency_by_model',
    title: 'Mean latency by model',
    kind: 'bar',
    unit: 'ms',
    series: [{ name: 'Mean latency', points: latencyByModel.map((r) => ({ x: r.key, y: r.meanLatencyMs })) }],
  };
}
