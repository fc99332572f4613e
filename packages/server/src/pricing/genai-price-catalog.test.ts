import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from './genai-price-catalog.js';
import type { PricedCall } from './price-catalog.js';

// Expected figures come from genai-prices 0.1.8's bundled catalog (per MTok):
// gpt-4o 2.50 in / 1.25 cache read / 10 out (no cache-write price: writes bill as input);
// gpt-4o-mini 0.15 / 0.075 / 0.60; claude-sonnet-4 3 / 0.30 read / 3.75 write / 15 out;
// claude-3-5-haiku 0.80 / 0.08 / 1.00 / 4; o3 10/40 before 2025-06-10, 2/8 from then on.
const at = new Date('2026-09-15T12:00:00Z');

function call(partial: Partial<PricedCall> & Pick<PricedCall, 'model'>): PricedCall {
  return { at, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, batch: false, ...partial };
}

describe('createGenaiPriceCatalog', () => {
  const catalog = createGenaiPriceCatalog();

  it('gives each price entry of a dated model at its own dates, asked again and again in any order', () => {
    // Held per model and entry: a held answer must never be another entry's.
    const fresh = () => createGenaiPriceCatalog({ discounts: { openai: 0.1 } });
    const held = fresh();
    const before = new Date('2025-06-09T23:59:59Z');
    const from = new Date('2025-06-10T00:00:00Z');
    for (const when of [before, from, before, at, from, before]) {
      expect(held.modelPrices('o3', 'openai', when)).toEqual(fresh().modelPrices('o3', 'openai', when));
    }
    expect(held.modelPrices('o3', 'openai', before)).toMatchObject({ inputPerMTok: 9, outputPerMTok: 36 });
    expect(held.modelPrices('o3', 'openai', from)).toMatchObject({ inputPerMTok: 1.8, outputPerMTok: 7.2 });
    // An invalid time goes to the library each time, as before: whatever it says, both say it.
    const answer = (catalog: ReturnType<typeof fresh>) => {
      try {
        return catalog.modelPrices('o3', 'openai', new Date('not a date'));
      } catch (error) {
        return String(error);
      }
    };
    expect(answer(held)).toEqual(answer(fresh()));
  });

  it('prices gpt-4o from disjoint buckets (cache reads at their own rate)', () => {
    const cost = catalog.priceCall(call({ model: 'gpt-4o', provider: 'openai', inputTokens: 1000, cacheReadTokens: 2000, outputTokens: 500 }));
    // 1000*2.5 + 2000*1.25 + 500*10 = 10,000 per 1e6
    expect(cost).toBeCloseTo(0.01, 12);
  });

  it('bills OpenAI cache writes as ordinary input, since the catalog has no write price', () => {
    const cost = catalog.priceCall(call({ model: 'gpt-4o', provider: 'openai', inputTokens: 1000, cacheWriteTokens: 1000 }));
    expect(cost).toBeCloseTo(0.005, 12);
  });

  it('prices a Claude call with cache reads and writes (the FORMATS.md example)', () => {
    const cost = catalog.priceCall(
      call({ model: 'claude-sonnet-4-20250514', provider: 'anthropic', inputTokens: 4, cacheWriteTokens: 2285, cacheReadTokens: 22137, outputTokens: 159 }),
    );
    // 4*3 + 2285*3.75 + 22137*0.3 + 159*15 = 17,606.85 per 1e6
    expect(cost).toBeCloseTo(0.01760685, 12);
  });

  it('halves batch calls', () => {
    const sync = catalog.priceCall(call({ model: 'gpt-4o-mini', inputTokens: 10_000, outputTokens: 1000 }));
    const batch = catalog.priceCall(call({ model: 'gpt-4o-mini', inputTokens: 10_000, outputTokens: 1000, batch: true }));
    expect(sync).toBeCloseTo(0.0021, 12);
    expect(batch).toBeCloseTo(0.00105, 12);
  });

  it('does not halve a catalog entry that is already a batch price', () => {
    const model = 'openai/gpt-6-luna:batch';
    const sync = catalog.priceCall(call({ model, provider: 'openrouter', inputTokens: 1_000_000 }));
    const batch = catalog.priceCall(call({ model, provider: 'openrouter', inputTokens: 1_000_000, batch: true }));
    expect(sync).not.toBeNull();
    expect(batch).toBe(sync);
  });

  it('uses the price active at the call time', () => {
    const usage = { model: 'o3', provider: 'openai', inputTokens: 1_000_000, outputTokens: 0 };
    expect(catalog.priceCall(call({ ...usage, at: new Date('2025-05-01T00:00:00Z') }))).toBeCloseTo(10, 9);
    expect(catalog.priceCall(call({ ...usage, at: new Date('2025-07-01T00:00:00Z') }))).toBeCloseTo(2, 9);
  });

  it('returns null, never zero, for an unknown model', () => {
    expect(catalog.priceCall(call({ model: 'acme-llm-9000', inputTokens: 10, outputTokens: 10 }))).toBeNull();
    expect(catalog.modelPrices('acme-llm-9000')).toBeNull();
  });

  it('prices zero tokens of a known model at zero', () => {
    expect(catalog.priceCall(call({ model: 'gpt-4o' }))).toBe(0);
  });

  it('is strict about a provider it knows, and lets the model decide for one it does not', () => {
    expect(catalog.priceCall(call({ model: 'gpt-4o', provider: 'anthropic', inputTokens: 1000 }))).toBeNull();
    expect(catalog.priceCall(call({ model: 'gpt-4o', provider: 'acme-gateway', inputTokens: 1000 }))).toBeCloseTo(0.0025, 12);
  });

  it('reports per-MTok prices of real models', () => {
    expect(catalog.modelPrices('gpt-4o', 'openai', at)).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      inputPerMTok: 2.5,
      outputPerMTok: 10,
      cacheReadPerMTok: 1.25,
      cacheWritePerMTok: 2.5,
      cacheWrite1hPerMTok: 2.5,
    });
    expect(catalog.modelPrices('gpt-4o-mini', null, at)).toMatchObject({ inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 });
    expect(catalog.modelPrices('claude-sonnet-4-20250514', 'anthropic', at)).toEqual({
      model: 'claude-sonnet-4-0',
      provider: 'anthropic',
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      cacheWrite1hPerMTok: 6,
    });
    expect(catalog.modelPrices('claude-3-5-haiku-20241022', 'anthropic', at)).toMatchObject({ inputPerMTok: 0.8, outputPerMTok: 4, cacheWritePerMTok: 1 });
    // Tiered prices report their base.
    expect(catalog.modelPrices('claude-sonnet-4-5', 'anthropic', at)).toMatchObject({ inputPerMTok: 3, outputPerMTok: 15 });
  });

  it('lets an admin override win over the catalog, provider-specific first', () => {
    const withOverrides = createGenaiPriceCatalog({
      overrides: [
        { model: 'GPT-4o', inputPerMTok: 1, outputPerMTok: 2 },
        { model: 'gpt-4o', provider: 'azure', inputPerMTok: 5, outputPerMTok: 5, cacheReadPerMTok: 0.5 },
        { model: 'our-llama', inputPerMTok: 0.2, outputPerMTok: 0.2 },
      ],
    });
    expect(withOverrides.priceCall(call({ model: 'gpt-4o', provider: 'openai', inputTokens: 1e6, outputTokens: 1e6 }))).toBeCloseTo(3, 9);
    expect(withOverrides.priceCall(call({ model: 'gpt-4o', provider: 'azure', inputTokens: 1e6, cacheReadTokens: 1e6 }))).toBeCloseTo(5.5, 9);
    expect(withOverrides.priceCall(call({ model: 'our-llama', inputTokens: 1e6, batch: true }))).toBeCloseTo(0.1, 9);
    expect(withOverrides.modelPrices('our-llama')).toEqual({
      model: 'our-llama',
      provider: 'tally-override',
      inputPerMTok: 0.2,
      outputPerMTok: 0.2,
      cacheReadPerMTok: null,
      cacheWritePerMTok: null,
      cacheWrite1hPerMTok: null,
    });
  });

  it('applies a negotiated provider discount to catalog prices, after the batch discount, never to overrides', () => {
    const discounted = createGenaiPriceCatalog({
      discounts: { OpenAI: 0.2 },
      overrides: [{ model: 'gpt-4o-mini', inputPerMTok: 1, outputPerMTok: 1 }],
    });
    expect(discounted.priceCall(call({ model: 'gpt-4o', inputTokens: 1e6, outputTokens: 1e6 }))).toBeCloseTo(10, 9);
    expect(discounted.priceCall(call({ model: 'gpt-4o', inputTokens: 1e6, batch: true }))).toBeCloseTo(1, 9);
    expect(discounted.modelPrices('gpt-4o', 'openai', at)).toMatchObject({ inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 1, cacheWritePerMTok: 2 });
    expect(discounted.priceCall(call({ model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 1000 }))).toBeCloseTo(0.003, 12);
    expect(discounted.priceCall(call({ model: 'gpt-4o-mini', inputTokens: 1e6 }))).toBeCloseTo(1, 9);
    expect(() => createGenaiPriceCatalog({ discounts: { openai: 1 } })).toThrow(RangeError);
  });
});
