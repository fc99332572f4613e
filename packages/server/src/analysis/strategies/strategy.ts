import type { Recommendation, StrategyName } from '@tally/protocol';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import type { OutputStatRow, PrefixStatRow } from '../../usage/usage-store.js';
import type { TrafficSlice } from '../traffic-slices.js';

/** What every strategy reads: the same slices, stats and prices, so their figures agree. */
export interface StrategyInput {
  slices: readonly TrafficSlice[];
  prefixStats: readonly PrefixStatRow[];
  outputStats: readonly OutputStatRow[];
  prices: PriceCatalog;
  /** 30 / days of the period: turns a period figure into a monthly one. */
  monthlyFactor: number;
  /** Days of the period covered by the data. */
  days: number;
  /** Total spend per 30 days, for the materiality threshold. */
  monthlySpendUsd: number;
  /** Projections use the prices in force at this time (the future is priced now, not at record time). */
  at: Date;
}

export type Strategy = (input: StrategyInput) => Recommendation[];

/** Below these, a recommendation is noise and is not made. */
export const MIN_MONTHLY_SAVING_USD = 1;
export const MIN_SHARE_OF_MONTHLY_SPEND = 0.01;

export function isMaterial(monthlySavingUsd: number, monthlySpendUsd: number): boolean {
  return monthlySavingUsd >= MIN_MONTHLY_SAVING_USD && monthlySavingUsd >= MIN_SHARE_OF_MONTHLY_SPEND * monthlySpendUsd;
}

/** How sure a projection is, from how much traffic and how many days it rests on. */
export function volumeConfidence(requests: number, days: number): Recommendation['confidence'] {
  if (requests >= 1000 && days >= 7) return 'high';
  if (requests >= 100) return 'medium';
  return 'low';
}

/** Stable ids: a strategy makes at most one recommendation per slice. */
export function recommendationId(strategy: StrategyName, sliceKey: string): string {
  return `${strategy}:${sliceKey}`;
}

/** The slice key inside a recommendation id (see recommendationId). */
export function sliceKeyOfRecommendation(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}
