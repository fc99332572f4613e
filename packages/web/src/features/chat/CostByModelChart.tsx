import type { BreakdownRow } from '@tally/protocol';
import { formatPercent, formatUsd } from '../../format.js';

const BAR_HEIGHT = 22;
const GAP = 8;
const LABEL_WIDTH = 180;
const VALUE_WIDTH = 120;
const WIDTH = 640;

/** Horizontal SVG bars of cost per model; scales to its container's width. */
export function CostByModelChart({ rows }: { rows: BreakdownRow[] }) {
  const data = [...rows].sort((a, b) => b.costUsd - a.costUsd).slice(0, 12);
  if (data.length === 0) return null;
  const max = Math.max(...data.map((r) => r.costUsd), 0.000001);
  const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = data.length * (BAR_HEIGHT + GAP);
  return (
    <figure className="chart">
      <figcaption>Cost by model</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label="Cost by model">
        {data.map((row, i) => {
          const y = i * (BAR_HEIGHT + GAP);
          const w = Math.max(2, (row.costUsd / max) * barSpace);
          return (
            <g key={row.key}>
              <title>{`${row.key}: ${formatUsd(row.costUsd)} (${formatPercent(row.share)}), ${row.requests} requests`}</title>
              <text x={LABEL_WIDTH - 8} y={y + BAR_HEIGHT / 2} textAnchor="end" dominantBaseline="central" className="chart-label">
                {row.key.length > 26 ? `${row.key.slice(0, 25)}…` : row.key}
              </text>
              <rect x={LABEL_WIDTH} y={y} width={w} height={BAR_HEIGHT} rx={3} className="chart-bar" />
              <text x={LABEL_WIDTH + w + 6} y={y + BAR_HEIGHT / 2} dominantBaseline="central" className="chart-value">
                {formatUsd(row.costUsd)} · {formatPercent(row.share)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
