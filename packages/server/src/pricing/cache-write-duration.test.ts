import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from './genai-price-catalog.js';
import type { PricedCall } from './price-catalog.js';

/**
 * Cache writes priced by how long they are kept, checked against the providers' published list
 * prices, hard-coded here from their pricing pages (USD per million tokens), never read from
 * Tally's catalog:
 * - Anthropic (https://docs.anthropic.com/en/docs/about-claude/pricing): Claude Sonnet 4.5 input
 *   $3, 5-minute cache write $3.75 (1.25x), 1-hour cache write $6 (2x), cache read $0.30, output
 *   $15; Claude Haiku 4.5 $1 / $1.25 / $2 / $0.10 / $5; Claude Opus 4.1 $15 / $18.75 / $30 / $1.50 / $75.
 * - OpenAI (https://openai.com/api/pricing): gpt-4o input $2.50, cached input $1.25, output $10;
 *   writes are not billed apart (automatic caching), so a write is ordinary input.
 */
const LIST = {
  'claude-sonnet-4-5': { input: 3, write5m: 3.75, write1h: 6, read: 0.3, output: 15 },
  'claude-haiku-4-5': { input: 1, write5m: 1.25, write1h: 2, read: 0.1, output: 5 },
  'claude-opus-4-1': { input: 15, write5m: 18.75, write1h: 30, read: 1.5, output: 75 },
} as const;

const at = new Date('2026-11-20T09:00:00Z');

function call(model: string, tokens: Partial<PricedCall>): PricedCall {
  return { model, provider: 'anthropic', at, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, batch: false, ...tokens };
}

describe('cache writes by duration, at list price', () => {
  const catalog = createGenaiPriceCatalog();

  for (const [model, p] of Object.entries(LIST)) {
    it(`${model}: 5-minute writes at 1.25x input, 1-hour writes at 2x`, () => {
      const tokens = { inputTokens: 4, cacheReadTokens: 22_137, cacheWriteTokens: 1_000, cacheWrite1hTokens: 2_285, outputTokens: 159 };
      const expected = (4 * p.input + 22_137 * p.read + 1_000 * p.write5m + 2_285 * p.write1h + 159 * p.output) / 1e6;
      expect(catalog.priceCall(call(model, tokens))).toBeCloseTo(expected, 12);
      // 100k of each alone is a tenth of its list price (calls stay under the 200k-token long-context tier).
      expect(catalog.priceCall(call(model, { cacheWrite1hTokens: 100_000 }))).toBeCloseTo(p.write1h / 10, 12);
      expect(catalog.priceCall(call(model, { cacheWriteTokens: 100_000 }))).toBeCloseTo(p.write5m / 10, 12);
    });
  }

  it('the Claude Code session the issue found 14.9 % under list is now at list', () => {
    // A Claude Code turn writes 1-hour caches: priced all at the 5-minute rate it came out low.
    const p = LIST['claude-sonnet-4-5'];
    const turn = { inputTokens: 12, cacheReadTokens: 90_000, cacheWriteTokens: 0, cacheWrite1hTokens: 12_000, outputTokens: 1_800 };
    const list = (12 * p.input + 90_000 * p.read + 12_000 * p.write1h + 1_800 * p.output) / 1e6;
    const asIf5m = (12 * p.input + 90_000 * p.read + 12_000 * p.write5m + 1_800 * p.output) / 1e6;
    expect(catalog.priceCall(call('claude-sonnet-4-5', turn))).toBeCloseTo(list, 12);
    expect(1 - asIf5m / list).toBeGreaterThan(0.1);
  });

  it('batch halves 1-hour writes too', () => {
    const p = LIST['claude-haiku-4-5'];
    expect(catalog.priceCall({ ...call('claude-haiku-4-5', { cacheWrite1hTokens: 1_000_000, outputTokens: 1_000_000 }), batch: true })).toBeCloseTo(
      (p.write1h + p.output) / 2,
      12,
    );
    // Sonnet 4.5 past 200k input tokens in one call: the catalog's long-context tier doubles every
    // input bucket (historic 1M beta; $6 input, $12 1-hour write), 1-hour writes included.
    expect(catalog.priceCall(call('claude-sonnet-4-5', { inputTokens: 100_000, cacheWrite1hTokens: 200_000 }))).toBeCloseTo((100_000 * 6 + 200_000 * 12) / 1e6, 12);
  });

  it('reports the 1-hour write price beside the 5-minute one', () => {
    const prices = catalog.modelPrices('claude-sonnet-4-5', 'anthropic', at);
    expect(prices).toMatchObject({ inputPerMTok: 3, cacheWritePerMTok: 3.75, cacheWrite1hPerMTok: 6, cacheReadPerMTok: 0.3, outputPerMTok: 15 });
  });

  it('a provider with one write price bills 1-hour writes at it; one without write prices as input', () => {
    // OpenAI gpt-4o: $2.50 input, $1.25 cached input, $10 output; no write price.
    const gpt = catalog.priceCall({ ...call('gpt-4o', { inputTokens: 1_000_000, cacheWrite1hTokens: 1_000_000, cacheReadTokens: 1_000_000 }), provider: 'openai' });
    expect(gpt).toBeCloseTo(2.5 + 2.5 + 1.25, 12);
    expect(catalog.modelPrices('gpt-4o', 'openai', at)).toMatchObject({ cacheWritePerMTok: 2.5, cacheWrite1hPerMTok: 2.5 });
  });

  it('an admin override may price 1-hour writes; without one they cost the write price', () => {
    const overridden = createGenaiPriceCatalog({
      overrides: [
        { model: 'contract-model', inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.2, cacheWritePerMTok: 2.5, cacheWrite1hPerMTok: 4 },
        { model: 'plain-model', inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.2, cacheWritePerMTok: 2.5 },
      ],
    });
    expect(overridden.priceCall(call('contract-model', { cacheWriteTokens: 1_000_000, cacheWrite1hTokens: 1_000_000 }))).toBeCloseTo(6.5, 12);
    expect(overridden.priceCall(call('plain-model', { cacheWriteTokens: 1_000_000, cacheWrite1hTokens: 1_000_000 }))).toBeCloseTo(5, 12);
  });
});
