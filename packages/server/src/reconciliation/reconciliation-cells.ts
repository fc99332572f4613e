import type { UsageAggregateRow } from '../usage/usage-store.js';
import { bucketDay, isCovered, type BilledBucket, type ProviderCoverage } from './billing-coverage.js';
import { billedModelOf, modelMatchKey } from './billed-provider-of.js';
import { createExactSum, type ExactSum } from '../pricing/exact-sum.js';
import { toMicros } from './usd-micros.js';

/**
 * One comparison of the reconciliation before its causes: a provider-day, and a model where the
 * bill breaks its cost down by model. Money in micro-dollars.
 */
export interface ReconciliationCell {
  provider: string;
  day: string;
  /** The model as the bill (else the logs) names it; null: the provider-day as a whole, or the bill's lines without a model. */
  model: string | null;
  /** Whether the day's bill is by model (then a null model is the lines without one). */
  byModel: boolean;
  computedMicros: number;
  loggedRequests: number;
  loggedTokens: number;
  unpricedRequests: number;
  /** Unpriced requests per model, for the causes. */
  unpricedModels: Map<string, number>;
  /** Null outside the days the provider's bill covers. */
  billedMicros: number | null;
  /** The bill's usage figures; null where it has no usage buckets for the cell. */
  billedRequests: number | null;
  billedTokens: number | null;
  /** Cost lines of the cell (line item and amount), for credits. */
  costLines: Array<{ lineItem: string; micros: number }>;
}

/** Every token a row or bucket counts: the buckets are disjoint (uncached input, output, cache reads, cache writes). */
export function loggedTokensOf(row: UsageAggregateRow): number {
  return row.inputTokens + row.outputTokens + row.cacheReadTokens + row.cacheWriteTokens + row.cacheWrite1hTokens;
}

function billedTokensOf(bucket: BilledBucket): number {
  return bucket.inputTokens + bucket.outputTokens + bucket.cacheReadTokens + bucket.cacheWriteTokens;
}

/**
 * The cells of one provider-day. When any cost bucket of the day names a model, the day is
 * compared per model (matched on modelMatchKey), and the cost lines without a model (credits, web
 * search, ...) make a cell of their own; usage buckets without a model are then left out (they
 * would count the same calls again). Otherwise the day is one cell.
 */
export function cellsOfDay(
  provider: string,
  day: string,
  rows: readonly UsageAggregateRow[],
  buckets: readonly BilledBucket[],
  coverage: ProviderCoverage | undefined,
): ReconciliationCell[] {
  const covered = isCovered(coverage, day);
  const byModel = buckets.some((b) => b.kind === 'cost' && billedModelOf(b) !== '');
  // Logged costs are floats (a third of a cent...): summed exactly, rounded to the micro-dollar once per cell.
  const cells = new Map<string | null, ReconciliationCell & { usageSeen: boolean; computed: ExactSum }>();
  const cellOf = (model: string | null) => {
    const key = byModel && model !== null ? modelMatchKey(model) : null;
    let cell = cells.get(key);
    if (!cell) {
      cell = {
        provider,
        day,
        model: byModel ? model : null,
        byModel,
        computedMicros: 0,
        loggedRequests: 0,
        loggedTokens: 0,
        unpricedRequests: 0,
        unpricedModels: new Map(),
        billedMicros: covered ? 0 : null,
        billedRequests: 0,
        billedTokens: 0,
        costLines: [],
        usageSeen: false,
        computed: createExactSum(),
      };
      cells.set(key, cell);
    }
    return cell;
  };
  for (const b of buckets) {
    if (b.kind !== 'cost') continue;
    const model = billedModelOf(b);
    const cell = cellOf(model === '' ? null : model);
    // The bill's own spelling of the model is the one shown.
    if (model !== '') cell.model = model;
    const micros = toMicros(b.costUsd ?? 0);
    cell.billedMicros = (cell.billedMicros ?? 0) + micros;
    cell.costLines.push({ lineItem: b.lineItem, micros });
  }
  for (const b of buckets) {
    if (b.kind !== 'usage' || (byModel && b.model === '')) continue;
    const cell = cellOf(b.model === '' ? null : b.model);
    cell.usageSeen = true;
    cell.billedRequests! += b.requests;
    cell.billedTokens! += billedTokensOf(b);
  }
  for (const row of rows) {
    const cell = cellOf(row.model);
    cell.computed.add(row.costUsd);
    cell.loggedRequests += row.requests;
    cell.loggedTokens += loggedTokensOf(row);
    if (row.unpricedRequests > 0) {
      cell.unpricedRequests += row.unpricedRequests;
      cell.unpricedModels.set(row.model, (cell.unpricedModels.get(row.model) ?? 0) + row.unpricedRequests);
    }
  }
  return [...cells.values()].map(({ usageSeen, computed, ...cell }) => ({
    ...cell,
    computedMicros: toMicros(computed.value()),
    // Anthropic's usage report counts tokens, not requests: no requests there is "not said", not 0.
    billedRequests: usageSeen && cell.billedRequests! > 0 ? cell.billedRequests : null,
    billedTokens: usageSeen ? cell.billedTokens : null,
  }));
}

/** Rows and buckets grouped by provider-day (key `provider\0day`). */
export function groupByProviderDay(
  rows: ReadonlyArray<{ provider: string; row: UsageAggregateRow }>,
  buckets: readonly BilledBucket[],
): Map<string, { provider: string; day: string; rows: UsageAggregateRow[]; buckets: BilledBucket[] }> {
  const groups = new Map<string, { provider: string; day: string; rows: UsageAggregateRow[]; buckets: BilledBucket[] }>();
  const groupOf = (provider: string, day: string) => {
    const key = `${provider}\u0000${day}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { provider, day, rows: [], buckets: [] }));
    return g;
  };
  for (const { provider, row } of rows) groupOf(provider, row.day).rows.push(row);
  for (const b of buckets) groupOf(b.provider, bucketDay(b)).buckets.push(b);
  return groups;
}
