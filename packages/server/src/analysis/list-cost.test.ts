import { describe, expect, it } from 'vitest';
import { listCostUsd } from './list-cost.js';

const prices = { model: 'm', provider: 'p', inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2.5, cacheWrite1hPerMTok: 4 };

describe('listCostUsd', () => {
  it('prices each bucket at its own rate', () => {
    const cost = listCostUsd(prices, { inputTokens: 1_000_000, cacheReadTokens: 2_000_000, cacheWriteTokens: 400_000, outputTokens: 500_000 });
    expect(cost).toBeCloseTo(2 + 1 + 1 + 4, 9);
    const with1h = listCostUsd(prices, { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 500_000, outputTokens: 0 });
    expect(with1h).toBeCloseTo(2, 9);
  });

  it('bills cache tokens as input when the model has no cache prices', () => {
    const cost = listCostUsd(
      { ...prices, cacheReadPerMTok: null, cacheWritePerMTok: null, cacheWrite1hPerMTok: null },
      { inputTokens: 0, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000, outputTokens: 0 },
    );
    expect(cost).toBeCloseTo(4, 9);
  });
});
