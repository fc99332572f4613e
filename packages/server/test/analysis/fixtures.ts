import type { ModelPrices, PriceCatalog, PricedCall } from '../../src/pricing/price-catalog.js';
import type { OutputStatRow, PrefixStatRow, UsageAggregateRow } from '../../src/usage/usage-store.js';
import { computeCostBreakdown } from '../../src/analysis/cost-breakdown.js';
import { groupSlices } from '../../src/analysis/traffic-slices.js';
import type { StrategyInput } from '../../src/analysis/strategies/strategy.js';

/** Round per-million prices, so every expected dollar in a test can be worked out by hand. */
export const TEST_PRICES: Record<string, Omit<ModelPrices, 'model'>> = {
  'gpt-4o': { provider: 'openai', inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
  'gpt-4.1': { provider: 'openai', inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
  'gpt-4.1-mini': { provider: 'openai', inputPerMTok: 0.4, outputPerMTok: 1.6, cacheReadPerMTok: 0.1, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
  'gpt-4o-mini': { provider: 'openai', inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
  'claude-sonnet-4': { provider: 'anthropic', inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, cacheWrite1hPerMTok: 6 },
  'claude-haiku-4-5': { provider: 'anthropic', inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25, cacheWrite1hPerMTok: 2 },
  'no-cache-model': { provider: 'selfhost', inputPerMTok: 1, outputPerMTok: 1, cacheReadPerMTok: null, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
};

/** A PriceCatalog over a fixed table; unknown models are null, as in the real catalog. */
export function fixedPriceCatalog(table: Record<string, Omit<ModelPrices, 'model'>> = TEST_PRICES): PriceCatalog {
  const modelPrices = (model: string): ModelPrices | null => {
    const entry = table[model.toLowerCase()];
    return entry ? { model: model.toLowerCase(), ...entry } : null;
  };
  return {
    modelPrices,
    priceCall(call: PricedCall): number | null {
      const p = modelPrices(call.model);
      if (!p) return null;
      const cost =
        (call.inputTokens * p.inputPerMTok +
          call.cacheReadTokens * (p.cacheReadPerMTok ?? p.inputPerMTok) +
          call.cacheWriteTokens * (p.cacheWritePerMTok ?? p.inputPerMTok) +
          (call.cacheWrite1hTokens ?? 0) * (p.cacheWrite1hPerMTok ?? p.cacheWritePerMTok ?? p.inputPerMTok) +
          call.outputTokens * p.outputPerMTok) /
        1_000_000;
      return call.batch ? cost / 2 : cost;
    },
  };
}

/** An aggregate row with zeroes everywhere but what the test says. */
export function aggRow(partial: Partial<UsageAggregateRow> & Pick<UsageAggregateRow, 'model'>): UsageAggregateRow {
  return {
    day: '2025-03-01',
    provider: null,
    project: 'app',
    feature: 'chat',
    status: 'ok',
    interactive: true,
    batch: false,
    requests: 0,
    retries: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    latencyMsSum: 0,
    latencyCount: 0,
    ...partial,
  };
}

export function prefixRow(partial: Partial<PrefixStatRow> & Pick<PrefixStatRow, 'model'>): PrefixStatRow {
  return {
    provider: null,
    project: 'app',
    feature: 'chat',
    promptPrefixHash: 'hash-1',
    requests: 0,
    prefixTokens: 0,
    cacheReadTokens: 0,
    days: 1,
    ...partial,
  };
}

export function outputRow(partial: Partial<OutputStatRow> & Pick<OutputStatRow, 'model'>): OutputStatRow {
  return {
    provider: null,
    project: 'app',
    feature: 'chat',
    requests: 0,
    limitedRequests: 0,
    meanMaxOutputTokens: 0,
    p50OutputTokens: 0,
    p99OutputTokens: 0,
    maxOutputTokensSeen: 0,
    ...partial,
  };
}

/** The input every strategy gets, built from rows as analyzeUsage builds it. */
export function strategyInput(rows: UsageAggregateRow[], extra: Partial<StrategyInput> = {}): StrategyInput {
  const breakdown = computeCostBreakdown(rows);
  return {
    slices: groupSlices(rows),
    prefixStats: [],
    outputStats: [],
    prices: fixedPriceCatalog(),
    monthlyFactor: breakdown.monthlyFactor,
    days: breakdown.period?.days ?? 0,
    monthlySpendUsd: breakdown.totals.monthlyCostUsd,
    at: new Date('2025-03-31T00:00:00Z'),
    ...extra,
  };
}
