import type { ModelPrices } from '../pricing/price-catalog.js';

/** Token volumes in Tally's disjoint buckets (input excludes cache reads and writes). */
export interface TokenVolume {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
}

/**
 * The list-price cost of a token volume on one model, in USD. A model without a cache-read or
 * cache-write price bills those tokens as plain input, which is what providers without caching do.
 */
export function listCostUsd(prices: ModelPrices, volume: TokenVolume): number {
  const cacheRead = prices.cacheReadPerMTok ?? prices.inputPerMTok;
  const cacheWrite = prices.cacheWritePerMTok ?? prices.inputPerMTok;
  return (
    (volume.inputTokens * prices.inputPerMTok +
      volume.cacheReadTokens * cacheRead +
      volume.cacheWriteTokens * cacheWrite +
      volume.outputTokens * prices.outputPerMTok) /
    1_000_000
  );
}
