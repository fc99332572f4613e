import type { Chart } from '@tally/protocol';
import { formatUsd, formatUsdShort } from './money.js';

/** One row per x label, one numeric column per series: the shape recharts draws. */
export type ChartRow = { x: string } & Record<string, number | string>;

/** Series keys are positional (`s0`, `s1`...) so a series named like `x` cannot clash with the label. */
export const seriesKey = (index: number): string => `s${index}`;

export function chartRows(chart: Chart): ChartRow[] {
  const rows = new Map<string, ChartRow>();
  chart.series.forEach((series, i) => {
    for (const point of series.points) {
      const row = rows.get(point.x) ?? { x: point.x };
      row[seriesKey(i)] = point.y;
      rows.set(point.x, row);
    }
  });
  // Missing cells are zero, so stacks and lines do not break on a day a model was not used.
  for (const row of rows.values()) chart.series.forEach((_, i) => (row[seriesKey(i)] ??= 0));
  return [...rows.values()];
}

/** Formats a chart's values by its unit: money in the app's one money format, ms as durations. */
export function valueFormatter(unit: string): { full: (n: number) => string; short: (n: number) => string } {
  if (unit.startsWith('USD')) {
    const suffix = unit.includes('/month') ? '/mo' : '';
    return { full: (n) => `${formatUsd(n)}${suffix}`, short: formatUsdShort };
  }
  if (unit === 'ms') {
    const ms = (n: number) => (Math.abs(n) < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);
    return { full: ms, short: ms };
  }
  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  return { full: (n) => `${number.format(n)}${unit ? ` ${unit}` : ''}`, short: (n) => compact.format(n) };
}

/** A day label (`2026-01-05`) as `Jan 5`; anything else unchanged. */
export function shortLabel(x: string): string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(x);
  if (!day) return x;
  const date = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/**
 * Splits a long category label into lines of at most `width` characters, at spaces where it can,
 * so model names and recommendation titles are shown whole instead of clipped.
 */
export function wrapLabel(label: string, width: number, maxLines = 3): string[] {
  const lines: string[] = [];
  let rest = label.trim();
  while (rest.length > width && lines.length < maxLines - 1) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > width) rest = `${rest.slice(0, width - 1)}…`;
  lines.push(rest);
  return lines;
}
