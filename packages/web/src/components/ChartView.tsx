import { useId } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { Chart } from '@tally/protocol';
import { chartRows, seriesKey, shortLabel, valueFormatter, wrapLabel } from './chart-data.js';

/** Mid-tone colours that read on the light and the dark theme (SVG attributes cannot take CSS variables). */
const PALETTE = ['#4f7fe8', '#e0873a', '#3aa676', '#b55bd1', '#d4a017', '#8c96a3', '#d9534f', '#2bb3c0'];
const color = (i: number) => PALETTE[i % PALETTE.length]!;

/** Pixel budget per character of a category label at the axis font size. */
const CHAR_PX = 7;
const LABEL_CHARS = 28;
const ROW_PX = 32;
const LINE_PX = 14;
const MAX_LINES = 4;
const TICK_STYLE = { fontSize: 12, fill: 'currentColor' };
const LEGEND_STYLE = { fontSize: 12 };

/**
 * One chart of a report, whatever its kind: a horizontal bar per category (labels wrapped, never
 * clipped), stacked bars or lines over time. Its height is fixed from its data before it draws,
 * so a chart appearing never moves what is below it.
 */
export function ChartView({ chart }: { chart: Chart }) {
  const captionId = useId();
  const rows = chartRows(chart);
  const values = valueFormatter(chart.unit);
  if (rows.length === 0) return null;
  return (
    <figure className="chart" data-chart-id={chart.id} role="group" aria-labelledby={captionId}>
      <figcaption id={captionId}>{chart.title}</figcaption>
      <div className="chart-canvas" role="img" aria-label={chart.title}>
        {chart.kind === 'bar' ? <CategoryBars chart={chart} rows={rows} values={values} /> : <OverTime chart={chart} rows={rows} values={values} />}
      </div>
      <ChartTable chart={chart} rows={rows} format={values.full} />
    </figure>
  );
}

interface PartProps {
  chart: Chart;
  rows: ReturnType<typeof chartRows>;
  values: ReturnType<typeof valueFormatter>;
}

/** Categories down the side: long names have the room they need, in up to three lines. */
function CategoryBars({ chart, rows, values }: PartProps) {
  const longest = Math.max(...rows.map((r) => Math.min(r.x.length, LABEL_CHARS)));
  const labelWidth = Math.max(60, longest * CHAR_PX + 12);
  const lines = Math.max(...rows.map((r) => wrapLabel(r.x, LABEL_CHARS, MAX_LINES).length));
  const height = rows.length * Math.max(ROW_PX, lines * LINE_PX + 12) + 40;
  return (
    <BarChart responsive layout="vertical" data={rows} style={{ width: '100%', height }} margin={{ top: 4, right: 24, bottom: 4, left: 4 }} accessibilityLayer>
      <CartesianGrid horizontal={false} strokeOpacity={0.25} />
      <XAxis type="number" tickFormatter={values.short} tick={TICK_STYLE} />
      <YAxis type="category" dataKey="x" width={labelWidth} interval={0} tick={<WrappedTick />} />
      <Tooltip formatter={(v) => values.full(Number(v))} itemStyle={TOOLTIP_ITEM_STYLE} contentStyle={TOOLTIP_BOX_STYLE} />
      {chart.series.map((s, i) => (
        <Bar key={s.name} dataKey={seriesKey(i)} name={s.name} fill={color(i)} radius={[0, 3, 3, 0]} isAnimationActive={false} />
      ))}
      {chart.series.length > 1 && <Legend wrapperStyle={LEGEND_STYLE} />}
    </BarChart>
  );
}

/** Tooltip text in the page's text colour: a series' own colour is too light to read on white (axe: color-contrast). */
const TOOLTIP_ITEM_STYLE = { color: 'var(--text)' };
const TOOLTIP_BOX_STYLE = { background: 'var(--card)', borderColor: 'var(--border)' };

/** Days along the bottom: stacked bars (one colour per series) or one line per series. */
function OverTime({ chart, rows, values }: PartProps) {
  const style = { width: '100%', height: 280 };
  const margin = { top: 8, right: 16, bottom: 4, left: 8 };
  const axes = [
    <CartesianGrid key="grid" vertical={false} strokeOpacity={0.25} />,
    <XAxis key="x" dataKey="x" tickFormatter={shortLabel} tick={TICK_STYLE} minTickGap={12} />,
    <YAxis key="y" tickFormatter={values.short} tick={TICK_STYLE} width={64} />,
    <Tooltip key="tip" formatter={(v) => values.full(Number(v))} labelFormatter={(x) => shortLabel(String(x))} itemStyle={TOOLTIP_ITEM_STYLE} contentStyle={TOOLTIP_BOX_STYLE} />,
    <Legend key="legend" wrapperStyle={LEGEND_STYLE} />,
  ];
  if (chart.kind === 'line') {
    return (
      <LineChart responsive data={rows} style={style} margin={margin} accessibilityLayer>
        {axes}
        {chart.series.map((s, i) => (
          <Line key={s.name} dataKey={seriesKey(i)} name={s.name} stroke={color(i)} dot={false} strokeWidth={2} isAnimationActive={false} />
        ))}
      </LineChart>
    );
  }
  return (
    <BarChart responsive data={rows} style={style} margin={margin} accessibilityLayer>
      {axes}
      {chart.series.map((s, i) => (
        <Bar key={s.name} dataKey={seriesKey(i)} name={s.name} stackId="stack" fill={color(i)} isAnimationActive={false} />
      ))}
    </BarChart>
  );
}

/** A category tick in lines; recharts passes the position and the value. */
function WrappedTick(props: { x?: number | string; y?: number | string; payload?: { value: string } }) {
  const label = props.payload?.value ?? '';
  const lines = wrapLabel(label, LABEL_CHARS, MAX_LINES);
  const x = Number(props.x ?? 0);
  const y = Number(props.y ?? 0) - ((lines.length - 1) * LINE_PX) / 2;
  return (
    <text x={x} y={y} textAnchor="end" dominantBaseline="central" className="chart-label" fontSize={12} fill="currentColor">
      <title>{label}</title>
      {lines.map((line, i) => (
        <tspan key={i} x={x - 4} dy={i === 0 ? 0 : LINE_PX}>
          {line}
        </tspan>
      ))}
    </text>
  );
}

/** The numbers behind the picture, for screen readers (and anyone who wants them exact). */
function ChartTable({ chart, rows, format }: { chart: Chart; rows: PartProps['rows']; format: (n: number) => string }) {
  return (
    <table className="visually-hidden">
      <caption>{chart.title}</caption>
      <thead>
        <tr>
          <th scope="col">Label</th>
          {chart.series.map((s) => (
            <th key={s.name} scope="col">{s.name}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.x}>
            <th scope="row">{row.x}</th>
            {chart.series.map((s, i) => (
              <td key={s.name}>{format(Number(row[seriesKey(i)]))}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
