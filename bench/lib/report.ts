import type { Figure, ScenarioResult, Target } from './scenario.js';

/** PASS, MISS with by how much, or FAIL when events were lost, duplicated or reordered. */
export function verdictOf(figure: Figure): string {
  const misses = targetMisses(figure);
  const integrity = figure.integrity;
  const broken = integrity && integrity.lost + integrity.duplicated + integrity.reordered > 0;
  const failures = [...(broken ? [`integrity (lost ${integrity.lost}, dup ${integrity.duplicated}, reordered ${integrity.reordered})`] : []), ...(figure.failures ?? [])];
  if (failures.length > 0) return `FAIL ${[...failures, ...misses].join('; ')}`;
  // A quick profile smaller than the target's size says nothing about the target.
  if (figure.notJudged) return `not judged (${figure.notJudged})`;
  if (misses.length > 0) return `MISS ${misses.join('; ')}`;
  return figure.target ? 'PASS' : '-';
}

export function ratioOf(figure: Figure): number | undefined {
  return figure.baseline !== undefined && figure.baseline !== 0 ? figure.tally / figure.baseline : undefined;
}

function targetMisses(figure: Figure): string[] {
  const t: Target | undefined = figure.target;
  if (!t) return [];
  const misses: string[] = [];
  const over = (value: number, bound: number) => `${pct(value / bound - 1)}`;
  if (t.max !== undefined && figure.tally > t.max) misses.push(`${fmt(figure.tally)} > ${fmt(t.max)} ${figure.unit} (${over(figure.tally, t.max)})`);
  if (t.min !== undefined && figure.tally < t.min) misses.push(`${fmt(figure.tally)} < ${fmt(t.min)} ${figure.unit} (${over(figure.tally, t.min)})`);
  const ratio = ratioOf(figure);
  if (ratio !== undefined) {
    if (t.maxRatio !== undefined && ratio > t.maxRatio) misses.push(`ratio ${fmt(ratio)}x > ${t.maxRatio}x`);
    if (t.minRatio !== undefined && ratio < t.minRatio) misses.push(`ratio ${fmt(ratio)}x < ${t.minRatio}x`);
    const added = figure.tally - figure.baseline!;
    if (t.maxOver !== undefined && added > t.maxOver) misses.push(`+${fmt(added)} ${figure.unit} over baseline > +${fmt(t.maxOver)}`);
  } else if (t.maxRatio !== undefined || t.minRatio !== undefined || t.maxOver !== undefined) {
    misses.push('no baseline measured');
  }
  return misses;
}

export function targetText(t: Target | undefined, unit: string): string {
  if (!t) return '';
  const parts: string[] = [];
  if (t.max !== undefined) parts.push(`≤ ${fmt(t.max)} ${unit}`);
  if (t.min !== undefined) parts.push(`≥ ${fmt(t.min)} ${unit}`);
  if (t.maxRatio !== undefined) parts.push(`≤ ${t.maxRatio}x`);
  if (t.minRatio !== undefined) parts.push(`≥ ${t.minRatio}x`);
  if (t.maxOver !== undefined) parts.push(`≤ +${fmt(t.maxOver)} ${unit} over baseline`);
  return parts.join(', ');
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function pct(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(0)}%`;
}

function integrityText(figure: Figure): string {
  const i = figure.integrity;
  return i ? `${i.lost}/${i.duplicated}/${i.reordered}` : '';
}

interface Row {
  cells: string[];
}

function rowsOf(results: ScenarioResult[]): Row[] {
  return results.flatMap((result) =>
    result.figures.map((f) => {
      const ratio = ratioOf(f);
      return {
        cells: [
          result.scenario,
          f.name,
          `${fmt(f.tally)} ${f.unit}`,
          f.baseline !== undefined ? `${fmt(f.baseline)} ${f.unit}` : '',
          f.baselineName ?? '',
          ratio !== undefined ? `${fmt(ratio)}x` : '',
          targetText(f.target, f.unit),
          integrityText(f),
          verdictOf(f),
        ],
      };
    }),
  );
}

const HEADER = ['scenario', 'figure', 'Tally', 'baseline', 'baseline is', 'ratio', 'target', 'lost/dup/reord', 'verdict'];

/** A plain-text table for the terminal, columns padded. */
export function textTable(results: ScenarioResult[]): string {
  const rows = [HEADER, ...rowsOf(results).map((r) => r.cells)];
  const widths = HEADER.map((_, c) => Math.min(60, Math.max(...rows.map((r) => r[c]!.length))));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The results table and the notes, as markdown for docs/BENCHMARKS.md. */
export function markdownTable(results: ScenarioResult[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
  for (const row of rowsOf(results)) lines.push(`| ${row.cells.map(escape).join(' | ')} |`);
  const notes = results.flatMap((r) => r.figures.filter((f) => f.note).map((f) => `- **${r.scenario} / ${f.name}**: ${f.note}`));
  return [...lines, '', ...(notes.length ? ['Notes:', '', ...notes] : [])].join('\n');
}
