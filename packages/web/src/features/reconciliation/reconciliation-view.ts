import type { Chart, Reconciliation, ReconciliationCause, ReconciliationProvider } from '@tally/protocol';
import { formatUsd } from '../../components/money.js';

/** Computed against billed per day, one line each, for one provider. Days without a bill have no billed point (0 would read as "billed nothing"). */
export function computedVsBilledChart(r: Reconciliation, provider: string): Chart {
  const days = r.days.filter((d) => d.provider === provider);
  return {
    id: `computed-vs-billed-${provider}`,
    title: `${provider}: computed from logs and billed, per day`,
    kind: 'line',
    unit: 'USD',
    series: [
      { name: 'Computed', points: days.map((d) => ({ x: d.day, y: d.computedUsd })) },
      { name: 'Billed', points: days.filter((d) => d.billedUsd !== null).map((d) => ({ x: d.day, y: d.billedUsd! })) },
    ],
  };
}

/** A signed amount: +$1.00, -$2.50. */
export function signedUsd(value: number | null): string {
  if (value === null) return '—';
  return `${value > 0 ? '+' : ''}${formatUsd(value)}`;
}

export function signedPct(value: number | null): string {
  return value === null ? '' : ` (${value > 0 ? '+' : ''}${value} %)`;
}

/** Where a provider's total came from, in words. */
export function sourceLabel(p: ReconciliationProvider): string {
  const setting = p.setting === 'auto' ? 'automatic' : `set to ${p.setting === 'billing' ? 'the bill' : 'the logs'}`;
  if (p.source === 'mixed') return `Bill ${formatUsd(p.fromBillingUsd)} + logs ${formatUsd(p.fromRequestsUsd)} (${setting})`;
  return `${p.source === 'billing' ? 'Bill' : 'Logs'} (${setting})`;
}

/** One cause as a short line for the table. */
export function causeLine(c: ReconciliationCause): string {
  switch (c.kind) {
    case 'unpriced_model':
      return `Unpriced model ${c.model}: ${c.requests} requests${c.amountUsd === null ? '' : `, billed ${formatUsd(c.amountUsd)}`}`;
    case 'missing_logs':
      return `Missing logs: ${c.loggedRequests} logged${c.billedRequests === null ? '' : ` of ${c.billedRequests} billed`} requests, ${formatUsd(c.amountUsd)}`;
    case 'credit':
      return `Credit "${c.lineItem}": ${signedUsd(c.amountUsd)}`;
    case 'discount':
      return `Discount ${c.percent} %: ${signedUsd(c.amountUsd)}`;
    case 'tokens_mismatch':
      return `Tokens: ${c.loggedTokens} logged, ${c.billedTokens} billed`;
  }
}
