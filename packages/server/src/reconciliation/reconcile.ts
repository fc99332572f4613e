import { CONNECTOR_PROVIDERS, type Reconciliation, type ReconciliationCause, type ReconciliationLine, type UsageSourceSetting } from '@tally/protocol';
import type { UsageAggregateRow } from '../usage/usage-store.js';
import { billedProviderOf } from './billed-provider-of.js';
import { billingCoverage, countedBuckets, type BilledBucket } from './billing-coverage.js';
import { causesOfCell, creditsOf, DEFAULT_CAUSE_THRESHOLDS, type CauseThresholds } from './cell-causes.js';
import { chooseSources, type ProviderDayCost } from './choose-sources.js';
import { discountCauses } from './discount-cause.js';
import { cellsOfDay, groupByProviderDay, type ReconciliationCell } from './reconciliation-cells.js';
import { percentOf, usdOfMicros } from './usd-micros.js';

export interface ReconcileInput {
  /** UsageStore.aggregate over the window. */
  computed: readonly UsageAggregateRow[];
  /** The workspace's stored buckets over the same window (billing-bucket-store.readBuckets). */
  billed: readonly BilledBucket[];
  /** Per provider, the workspace's stored choice; absent: `auto`. */
  settings?: Readonly<Record<string, UsageSourceSetting | undefined>>;
  /** Per provider, the end of the last complete day its connector fetched. */
  completeThrough?: Readonly<Record<string, Date | null | undefined>>;
  /** The window, echoed. */
  from?: string | null;
  to?: string | null;
  thresholds?: CauseThresholds;
}

const KINDS_EXPLAINED = ['unpriced_model', 'missing_logs', 'credit', 'discount'] as const;

/**
 * Computed versus billed (issue 18 part 4): per provider, day, and model where the bill has one,
 * Tally's cost from the request-level records next to the provider's, with the difference and
 * its likely causes. Only the providers Tally fetches bills from are compared; records of other
 * providers are on no bill. Money is added in integer micro-dollars. Pure.
 */
export function reconcile(input: ReconcileInput): Reconciliation {
  const buckets = countedBuckets(input.billed);
  const coverage = billingCoverage(buckets, input.completeThrough);
  const billedProviders = new Set<string>([...CONNECTOR_PROVIDERS, ...buckets.map((b) => b.provider)]);
  const rows = input.computed.flatMap((row) => {
    const provider = billedProviderOf(row);
    return provider !== null && billedProviders.has(provider) ? [{ provider, row }] : [];
  });

  const cells: ReconciliationCell[] = [];
  for (const group of groupByProviderDay(rows, buckets).values()) {
    cells.push(...cellsOfDay(group.provider, group.day, group.rows, group.buckets, coverage.get(group.provider)));
  }
  cells.sort((a, b) => a.provider.localeCompare(b.provider) || a.day.localeCompare(b.day) || compareModels(a.model, b.model));

  // A day the connector holds only part of (today) is shown, not compared: its bill lags the logs.
  const isPartial = (c: { provider: string; day: string }) => coverage.get(c.provider)?.isPartial(c.day) === true;
  const withCauses = cells.map((cell) => ({
    cell,
    creditMicros: creditsOf(cell).micros,
    causes: isPartial(cell) ? [] : causesOfCell(cell, input.thresholds ?? DEFAULT_CAUSE_THRESHOLDS),
  }));
  const summaryCauses: ReconciliationCause[] = withCauses.flatMap((l) => l.causes);
  const providers = [...new Set(cells.map((c) => c.provider))].sort();
  for (const provider of providers) {
    const discount = discountCauses(provider, withCauses.filter((l) => l.cell.provider === provider && !isPartial(l.cell)));
    if (!discount) continue;
    for (const l of withCauses) {
      const cause = discount.perLine.get(l.cell);
      if (cause) l.causes = [...l.causes, cause];
    }
    summaryCauses.push(discount.summary);
  }

  const lines: ReconciliationLine[] = withCauses.map(({ cell, causes }) => ({
    provider: cell.provider,
    day: cell.day,
    model: cell.model,
    ...comparison(cell.computedMicros, cell.billedMicros),
    loggedRequests: cell.loggedRequests,
    billedRequests: cell.billedRequests,
    loggedTokens: cell.loggedTokens,
    billedTokens: cell.billedTokens,
    unpricedRequests: cell.unpricedRequests,
    ...(isPartial(cell) ? { partial: true } : {}),
    causes,
  }));

  const dayCosts = new Map<string, ProviderDayCost>();
  for (const cell of cells) {
    const key = `${cell.provider}\u0000${cell.day}`;
    const d = dayCosts.get(key) ?? { provider: cell.provider, day: cell.day, computedMicros: 0, billedMicros: null };
    d.computedMicros += cell.computedMicros;
    if (cell.billedMicros !== null) d.billedMicros = (d.billedMicros ?? 0) + cell.billedMicros;
    dayCosts.set(key, d);
  }
  const chosen = chooseSources([...dayCosts.values()], input.settings ?? {}, coverage);

  return {
    from: input.from ?? null,
    to: input.to ?? null,
    hasBilling: buckets.length > 0,
    providers: chosen.providers.map((total) => {
      const days = chosen.days.filter((d) => d.provider === total.provider);
      const billedDays = days.filter((d) => d.billedMicros !== null && !isPartial(d));
      // Compared over the days the bill covers in full; with none, the computed cost of every day.
      const compared = billedDays.length > 0 ? billedDays : days;
      const explained = Object.fromEntries(
        KINDS_EXPLAINED.map((kind) => [kind, usdOfMicros(sumMicros(summaryCauses.filter((c) => c.provider === total.provider && c.kind === kind)))]),
      ) as Record<(typeof KINDS_EXPLAINED)[number], number>;
      return {
        provider: total.provider,
        ...comparison(
          compared.reduce((sum, d) => sum + d.computedMicros, 0),
          billedDays.length > 0 ? billedDays.reduce((sum, d) => sum + d.billedMicros!, 0) : null,
        ),
        billedDays: billedDays.length,
        byModel: cells.some((c) => c.provider === total.provider && c.byModel),
        setting: total.setting,
        totalUsd: usdOfMicros(total.totalMicros),
        fromRequestsUsd: usdOfMicros(total.fromRequestsMicros),
        fromBillingUsd: usdOfMicros(total.fromBillingMicros),
        source: total.source,
        explainedUsd: explained,
      };
    }),
    days: chosen.days.map((d) => ({ provider: d.provider, day: d.day, ...comparison(d.computedMicros, d.billedMicros), source: d.source, ...(isPartial(d) ? { partial: true } : {}) })),
    lines,
    causes: summaryCauses,
  };
}

function comparison(computedMicros: number, billedMicros: number | null) {
  const difference = billedMicros === null ? null : billedMicros - computedMicros;
  return {
    computedUsd: usdOfMicros(computedMicros),
    billedUsd: billedMicros === null ? null : usdOfMicros(billedMicros),
    differenceUsd: difference === null ? null : usdOfMicros(difference),
    differencePct: difference === null ? null : percentOf(difference, computedMicros),
  };
}

function sumMicros(causes: readonly ReconciliationCause[]): number {
  // Amounts are whole micro-dollars already; rounding again keeps the sum an integer.
  return causes.reduce((sum, c) => sum + ('amountUsd' in c && c.amountUsd !== null ? Math.round(c.amountUsd * 1e6) : 0), 0);
}

/** Models by name, the lines without a model last. */
function compareModels(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
