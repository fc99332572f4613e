/**
 * How figures are written in rationales and answers. Formatting only rounds for reading; the
 * structured report carries the unrounded figures.
 */
// Built once: `toLocaleString` with options builds a new formatter on every call, which showed in
// the run pipeline's CPU profile (a report formats thousands of figures). Same output.
const USD_DIGITS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const INTEGER = new Intl.NumberFormat('en-US');

export function formatUsd(value: number): string {
  const abs = Math.abs(value);
  // Sub-cent amounts keep 4 significant digits, so a cheap model's cost never reads as $0.00.
  if (abs > 0 && abs < 0.01) return `${value < 0 ? '-' : ''}$${abs.toPrecision(2)}`;
  const text = USD_DIGITS.format(abs);
  return `${value < 0 ? '-' : ''}$${text}`;
}

export function formatInt(value: number): string {
  return INTEGER.format(Math.round(value));
}

/** A ratio (0..1) as a percentage with one decimal. */
export function formatPct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** A per-million-token price, e.g. `$2.50/MTok`. */
export function formatPerMTok(value: number): string {
  return `$${Number(value.toFixed(4))}/MTok`;
}
