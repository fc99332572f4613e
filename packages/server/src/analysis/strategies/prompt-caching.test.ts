import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog, prefixRow, strategyInput } from '../../../test/analysis/fixtures.js';
import { promptCaching, prefixSaving } from './prompt-caching.js';

// 10 days (factor 3); the slice's own spend is $200 in the period.
const rows = [
  aggRow({ day: '2025-03-01', model: 'claude-sonnet-4', project: 'support', feature: 'reply', requests: 10_000, costUsd: 200 }),
  aggRow({ day: '2025-03-10', model: 'claude-sonnet-4', project: 'support', feature: 'reply', requests: 1, costUsd: 0 }),
];
// 10,000 calls with a 2,000-token prefix, over 10 active days: 1,000 calls a day.
const sonnetPrefix = prefixRow({ model: 'claude-sonnet-4', provider: 'anthropic', project: 'support', feature: 'reply', requests: 10_000, prefixTokens: 20_000_000, days: 1000, activeDays: 10 });

describe('promptCaching', () => {
  it('prices uncached prefix tokens at the cache-read price, minus the cache writes', () => {
    const [rec, ...rest] = promptCaching(strategyInput(rows, { prefixStats: [sonnetPrefix] }));
    expect(rest).toEqual([]);
    RecommendationSchema.parse(rec);
    // Writes: 10 days x 288 windows = 2,880 of 2,000 tokens = 5.76M at +$0.75 (write $3.75 vs input $3).
    // Reads: 7,120 x 2,000 = 14.24M at -$2.70 (read $0.30). Saving 38.448 - 4.32 = $34.128; x 3 a month.
    expect(rec).toMatchObject({
      id: 'prompt_caching:support/reply/claude-sonnet-4',
      scope: 'project=support feature=reply model=claude-sonnet-4',
      currentMonthlyCostUsd: 600,
      projectedMonthlySavingUsd: 102.384,
      confidence: 'high',
      qualityRisk: 'none',
    });
    const evidence = Object.fromEntries(rec!.evidence.map((e) => [e.label, e.value]));
    expect(evidence['Estimated cache write tokens']).toBe(5_760_000);
    expect(evidence['Estimated cache read tokens']).toBe(14_240_000);
    // 20M tokens x $2.70 = $54 in the period, $162 a month.
    expect(evidence['Ceiling if every call read the cache']).toBe(162);
  });

  it('uses the cold starts the store counted: each writes the cache, every other call reads it', () => {
    const counted = { ...sonnetPrefix, coldStarts: 1000 };
    // Writes: 1,000 x 2,000 = 2M at +$0.75 = $1.50. Reads: 9,000 x 2,000 = 18M at -$2.70 = $48.60. $47.10 x 3.
    const [rec] = promptCaching(strategyInput(rows, { prefixStats: [counted] }));
    expect(rec?.projectedMonthlySavingUsd).toBeCloseTo(141.3, 6);
    expect(rec?.rationale).toContain('except on the 1,000 calls that came more than 5 minutes after the previous one');
    expect(rec?.evidence).toContainEqual({ label: 'Calls with a cold cache (first, or over 5 minutes after the previous)', value: 1000 });
  });

  it('counts prefix tokens written to a cache as cached, not as plain input', () => {
    const alreadyCached = { ...sonnetPrefix, cacheReadTokens: 17_000_000, cacheWriteTokens: 3_000_000, coldStarts: 1500 };
    expect(prefixSaving(alreadyCached, 3, 0.3, 3.75)).toBeNull();
  });

  it('counts only the part of the prefix not already read from cache', () => {
    const half = { ...sonnetPrefix, cacheReadTokens: 10_000_000 };
    const [rec] = promptCaching(strategyInput(rows, { prefixStats: [half] }));
    expect(rec?.projectedMonthlySavingUsd).toBeCloseTo(102.384 / 2, 6);
  });

  it('has no write premium on providers that cache for free (OpenAI), and caches whole 128-token steps past 1,024', () => {
    const s = prefixSaving({ ...sonnetPrefix, model: 'gpt-4o' }, 2.5, 1.25, 2.5);
    // OpenAI caches 1,024 tokens then whole steps of 128: of a 2,000-token prefix, 1,024 + 7 x 128
    // = 1,920 tokens (the other 80 stay plain input). 7,120 reads x 1,920 x $1.25 saved per MTok
    // = $17.088 (it was $17.80 when the whole prefix was taken as cached).
    expect(s?.cacheablePrefixTokens).toBe(1920);
    expect(s?.savingUsd).toBeCloseTo(17.088, 9);
  });

  it('gives no saving for a prefix under its model\'s published minimum', () => {
    // Claude Haiku 4.5 caches prefixes of 4,096 tokens or more (Anthropic's prompt-caching page);
    // a 2,000-token prefix is billed as plain input however often it repeats.
    const haiku = { ...sonnetPrefix, model: 'claude-haiku-4-5' };
    expect(prefixSaving(haiku, 1, 0.1, 1.25)).toBeNull();
    const haikuRows = rows.map((r) => ({ ...r, model: 'claude-haiku-4-5' }));
    expect(promptCaching(strategyInput(haikuRows, { prefixStats: [haiku] }))).toEqual([]);
    // 5,000 tokens clear it: list prices $1 input, $0.10 read, $1.25 5-minute write per MTok.
    // Writes 2,880 x 5,000 = 14.4M at +$0.25 = $3.60; reads 7,120 x 5,000 = 35.6M at -$0.90 = $32.04.
    const long = { ...haiku, prefixTokens: 50_000_000 };
    expect(prefixSaving(long, 1, 0.1, 1.25)?.savingUsd).toBeCloseTo(32.04 - 3.6, 9);
  });

  it('never gives high confidence where caching is best effort or the minimum is assumed', () => {
    // Gemini 2.5 Flash: implicit caching, 2,048-token minimum, no saving guaranteed by Google.
    const flashRows = rows.map((r) => ({ ...r, model: 'gemini-2.5-flash' }));
    const flash = { ...sonnetPrefix, model: 'gemini-2.5-flash', provider: 'google', prefixTokens: 30_000_000 };
    const prices = fixedPriceCatalog({ 'gemini-2.5-flash': { provider: 'google', inputPerMTok: 0.3, outputPerMTok: 2.5, cacheReadPerMTok: 0.03, cacheWritePerMTok: 0.3, cacheWrite1hPerMTok: 0.3 } });
    const [rec] = promptCaching(strategyInput(flashRows, { prefixStats: [flash], prices }));
    expect(rec?.confidence).toBe('medium');
    expect(rec?.rationale).toContain('not guaranteed');
    // The same traffic on Sonnet 4 (a published minimum, a promised price) is high.
    expect(promptCaching(strategyInput(rows, { prefixStats: [sonnetPrefix] }))[0]?.confidence).toBe('high');
  });

  it('assumes a cold cache for sparse traffic', () => {
    // 100 calls a day: every call its own 5-minute window, so every call a write: a loss, no rec.
    const sparse = { ...sonnetPrefix, requests: 1000, prefixTokens: 2_000_000, days: 100 };
    expect(prefixSaving(sparse, 3, 0.3, 3.75)?.savingUsd).toBeLessThan(0);
    expect(promptCaching(strategyInput(rows, { prefixStats: [sparse] }))).toEqual([]);
  });

  it('skips short prefixes, models without a cache price and prefixes already cached', () => {
    const short = { ...sonnetPrefix, prefixTokens: 5_000_000 };
    expect(prefixSaving(short, 3, 0.3, 3.75)).toBeNull();
    expect(promptCaching(strategyInput(rows, { prefixStats: [{ ...sonnetPrefix, model: 'no-cache-model' }] }))).toEqual([]);
    expect(prefixSaving({ ...sonnetPrefix, cacheReadTokens: 19_500_000 }, 3, 0.3, 3.75)).toBeNull();
  });
});
