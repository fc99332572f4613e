import type { Chart } from '@tally/protocol';

interface ModelDayCost {
  day: string;
  model: string;
  costUsd: number;
}

interface BreakdownRow {
  key: string;
  costUsd: number;
}

/**
 * Spend per day, one stacked series per model, the biggest spender first (at the bottom of the
 * stack and the start of the legend). `allDays` adds days without any usage, at zero.
 */
export function spendOverTimeChart(rows: readonly ModelDayCost[], allDays: readonly string[] = []): Chart {
  const totals = new Map<string, number>();
  for (const row of rows) totals.set(row.model, (totals.get(row.model) ?? 0) + row.costUsd);
  const models = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([model]) => model);
  const days = [...new Set([...allDays, ...rows.map((r) => r.day)])].sort();
  return {
    id: 'spend-over-time',
    title: 'Spend over time, by model',
    kind: 'stacked_bar',
    unit: 'USD',
    series: models.map((model) => {
      const byDay = new Map(rows.filter((r) => r.model === model).map((r) => [r.day, r.costUsd]));
      return { name: model, points: days.map((day) => ({ x: day, y: byDay.get(day) ?? 0 })) };
    }),
  };
}

/** One bar per key (a model, a project), as the server ordered them. */
export function spendByChart(id: string, title: string, rows: readonly BreakdownRow[]): Chart {
  return { id, title, kind: 'bar', unit: 'USD', series: [{ name: 'Spend', points: rows.map((r) => ({ x: r.key, y: r.costUsd })) }] };
}
