import type { UsageCostSources, UsageSourceSetting } from '@tally/protocol';
import { createExactSum } from '../pricing/exact-sum.js';
import type { UsageAggregateRow } from '../usage/usage-store.js';
import type { BilledBucket } from './billing-coverage.js';
import { reconcile } from './reconcile.js';
import { toMicros, usdOfMicros } from './usd-micros.js';

/**
 * The dashboard's total cost with each provider's spend taken from its authoritative source
 * (choose-sources.ts, through reconcile): providers with a bill per the workspace's setting, the
 * others (no connector: azure, unknown) from the records. Pure.
 */
export function dashboardCostSources(input: {
  rows: readonly UsageAggregateRow[];
  billed: readonly BilledBucket[];
  settings: Readonly<Record<string, UsageSourceSetting | undefined>>;
  completeThrough: Readonly<Record<string, Date | null | undefined>>;
}): UsageCostSources & { costUsd: number } {
  const all = createExactSum();
  for (const row of input.rows) all.add(row.costUsd);
  const requestMicros = toMicros(all.value());
  const compared = reconcile({ computed: input.rows, billed: input.billed, settings: input.settings, completeThrough: input.completeThrough });
  // The records of the billed providers are replaced by their chosen totals; the others count as they are.
  const comparedRequestMicros = compared.days.reduce((sum, d) => sum + toMicros(d.computedUsd), 0);
  const countedMicros = compared.providers.reduce((sum, p) => sum + toMicros(p.totalUsd), 0);
  const costMicros = requestMicros - comparedRequestMicros + countedMicros;
  return {
    applied: true,
    why: null,
    requestCostUsd: usdOfMicros(requestMicros),
    costUsd: usdOfMicros(costMicros),
    providers: compared.providers.map((p) => ({
      provider: p.provider,
      setting: p.setting,
      source: p.source,
      costUsd: p.totalUsd,
      fromRequestsUsd: p.fromRequestsUsd,
      fromBillingUsd: p.fromBillingUsd,
    })),
  };
}
