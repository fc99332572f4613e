/**
 * The one money format of the app: $1,234.56 for amounts of a cent or more, and two significant
 * digits below a cent ($0.0042), where LLM calls often cost, so a small figure never reads $0.00.
 */
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const subCent = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumSignificantDigits: 2 });
const compact = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });

export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const size = Math.abs(n);
  return size > 0 && size < 0.01 ? subCent.format(n) : usd.format(n);
}

/** Short form for chart axes: $950, $1.2K, $3.4M; exact below $1,000 except for sub-cent values. */
export function formatUsdShort(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.abs(n) >= 1000 ? compact.format(n) : formatUsd(n);
}
