import type { ModelPrices } from '../pricing/price-catalog.js';

/** Token volumes in Tally's disjoint buckets (input excludes cache reads and writes). */
export interface TokenVolume {
  inputTokens: number;
  cacheReadTokens: number;
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: number;
  /** 1-hour cache writes; absent is 0. */
  cacheWrite1hTokens?: number;
  outputTokens: number;
}

/**
 * The list-price cost of a token volume on one model, in USD. A model without a cache-read or
 * cache-write price bills those tokens as plain input, which is what providers without caching do.
 */
export function listCostUsd(prices: ModelPrices, volume: TokenVolume): number {
  const cacheRead = prices.cacheReadPerMTok ?? prices.inputPerMTok;
  const cacheWrite = prices.cacheWritePerMTok ?? prices.inputPerMTok;
  const cacheWrite1h = prices.cacheWrite1hPerMTok ?? cacheWrite;
  return (
    (volume.inputTokens * prices.inputPerMTok +
      volume.cacheReadTokens * cacheRead +
      volume.cacheWriteTokens * cacheWrite +
      (volume.cacheWrite1hTokens ?? 0) * cacheWrite1h +
      volume.outputTokens * prices.outputPerMTok) /
    1_000_000
  );
}
