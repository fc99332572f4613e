import type { CostSource, UsageSourceSetting } from '@tally/protocol';
import type { ProviderCoverage } from './billing-coverage.js';

/** One provider-day's cost from each source, in micro-dollars (billed: null where the bill says nothing). */
export interface ProviderDayCost {
  provider: string;
  day: string;
  computedMicros: number;
  billedMicros: number | null;
}

export interface ChosenDay extends ProviderDayCost {
  source: CostSource;
  /** The figure counted: the computed or the billed one, never both. */
  countedMicros: number;
}

export interface ProviderSourceTotal {
  provider: string;
  setting: UsageSourceSetting;
  totalMicros: number;
  fromRequestsMicros: number;
  fromBillingMicros: number;
  source: CostSource | 'mixed';
}

/**
 * Which source each provider-day's total comes from (issue 18 part 3). Per provider, the
 * workspace's setting: `requests` always the request-level records; `billing` the bill on every
 * day it has figures for; `auto` (no setting stored) the bill only on the days it has complete,
 * since a partial current day would undercount. Elsewhere the records. Each day is counted from
 * one source only, so no spend is counted twice. Pure.
 */
export function chooseSources(
  days: readonly ProviderDayCost[],
  settings: Readonly<Record<string, UsageSourceSetting | undefined>>,
  coverage: ReadonlyMap<string, ProviderCoverage>,
): { days: ChosenDay[]; providers: ProviderSourceTotal[] } {
  const chosen = days.map((d): ChosenDay => {
    const setting = settings[d.provider] ?? 'auto';
    const useBill =
      d.billedMicros !== null && (setting === 'billing' || (setting === 'auto' && coverage.get(d.provider)?.isComplete(d.day) === true));
    return useBill ? { ...d, source: 'billing', countedMicros: d.billedMicros! } : { ...d, source: 'requests', countedMicros: d.computedMicros };
  });
  const totals = new Map<string, ProviderSourceTotal>();
  for (const d of chosen) {
    let t = totals.get(d.provider);
    if (!t) {
      t = { provider: d.provider, setting: settings[d.provider] ?? 'auto', totalMicros: 0, fromRequestsMicros: 0, fromBillingMicros: 0, source: d.source };
      totals.set(d.provider, t);
    }
    t.totalMicros += d.countedMicros;
    if (d.source === 'billing') t.fromBillingMicros += d.countedMicros;
    else t.fromRequestsMicros += d.countedMicros;
    if (t.source !== d.source) t.source = 'mixed';
  }
  return { days: chosen, providers: [...totals.values()].sort((a, b) => a.provider.localeCompare(b.provider)) };
}
