import type { Recommendation } from '@tally/protocol';
import { formatInt, formatPct, formatPerMTok, formatUsd } from '../analysis/format.js';

/** A markdown table; cells are already formatted. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** One evidence value as a person reads it, by its unit. */
export function formatEvidence(item: Recommendation['evidence'][number]): string {
  const { value, unit } = item;
  if (typeof value === 'string') return value;
  switch (unit) {
    case 'USD':
      return formatUsd(value);
    case 'USD/month':
      return `${formatUsd(value)}/month`;
    case 'USD/MTok':
      return formatPerMTok(value);
    case 'ratio':
      return formatPct(value);
    case undefined:
      return Number.isInteger(value) ? formatInt(value) : String(value);
    default:
      return `${Number.isInteger(value) ? formatInt(value) : String(value)} ${unit}`;
  }
}

/** A recommendation in full: headline figures, rationale, evidence. */
export function recommendationBlock(rec: Recommendation, index: number): string[] {
  return [
    `### ${index}. ${rec.title}`,
    '',
    `Saves about **${formatUsd(rec.projectedMonthlySavingUsd)}/month** of ${formatUsd(rec.currentMonthlyCostUsd)}/month on this traffic ` +
      `(confidence ${rec.confidence}, quality risk ${rec.qualityRisk}).`,
    '',
    rec.rationale,
    '',
    ...rec.evidence.map((e) => `- ${e.label}: ${formatEvidence(e)}`),
    '',
  ];
}

/** Text cut into the chunks it is streamed in: one line each, newline kept, so they join back exactly. */
export function lineChunks(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
