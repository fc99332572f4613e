import { calcPrice, findProvider, type ModelPrice, type PriceCalculation, type Provider, type Usage } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { generateUsage } from '../usage/demo/generate-usage.js';
import { createGenaiPriceCatalog, type GenaiPriceCatalogOptions } from './genai-price-catalog.js';
import type { PricedCall } from './price-catalog.js';

/**
 * The oracle: the catalog as it was before it held resolved models, asking the library afresh for
 * every call (provider and model matched over the whole catalog each time). The cached catalog
 * must give the same number, to the bit, for every call.
 */
function uncachedPriceCall(options: GenaiPriceCatalogOptions, call: PricedCall): number | null {
  const normalize = (id: string) => id.toLowerCase().trim();
  const model = normalize(call.model);
  const wanted = call.provider ? normalize(call.provider) : undefined;
  const overrides = options.overrides ?? [];
  const override =
    overrides.find((o) => normalize(o.model) === model && o.provider !== undefined && normalize(o.provider) === wanted) ??
    overrides.find((o) => normalize(o.model) === model && o.provider === undefined);
  const usage: Usage = {
    input_tokens: call.inputTokens + call.cacheReadTokens + call.cacheWriteTokens,
    cache_read_tokens: call.cacheReadTokens,
    cache_write_tokens: call.cacheWriteTokens,
    output_tokens: call.outputTokens,
  };
  let result: PriceCalculation | null;
  if (override) {
    const prices: ModelPrice = { input_mtok: override.inputPerMTok, output_mtok: override.outputPerMTok };
    if (override.cacheReadPerMTok !== undefined) prices['cache_read_mtok'] = override.cacheReadPerMTok;
    if (override.cacheWritePerMTok !== undefined) prices['cache_write_mtok'] = override.cacheWritePerMTok;
    const provider: Provider = { id: override.provider ?? 'tally-override', name: 'Admin override', api_pattern: '$^', models: [{ id: model, match: { equals: model }, prices }] };
    result = calcPrice(usage, model, { provider, timestamp: call.at });
  } else {
    const known = call.provider ? findProvider({ providerId: call.provider }) !== undefined : false;
    result = calcPrice(usage, call.model, { ...(known && call.provider ? { providerId: call.provider } : {}), timestamp: call.at });
  }
  if (!result) return null;
  const batch = call.batch && !result.model.id.toLowerCase().endsWith(':batch') ? 0.5 : 1;
  const discount = override ? 0 : Object.entries(options.discounts ?? {}).find(([p]) => normalize(p) === normalize(result.provider.id))?.[1] ?? 0;
  return result.total_price * batch * (1 - discount);
}

const month = (clean: boolean): PricedCall[] =>
  [...generateUsage({ seed: 7, days: 30, end: new Date('2026-10-01T00:00:00Z'), requestsPerDay: 300, clean })].map((r) => ({
    model: r.model,
    provider: r.provider ?? null,
    at: new Date(r.ts),
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    outputTokens: r.outputTokens,
    batch: r.batch,
  }));

/** Each call as files label it in other ways: no provider, a gateway's label, a wrong provider, odd casing. */
function relabelled(calls: PricedCall[]): PricedCall[] {
  return calls.flatMap((c, i) => [
    c,
    { ...c, provider: null },
    { ...c, provider: i % 2 === 0 ? 'acme-gateway' : '' },
    { ...c, provider: c.provider === 'anthropic' ? 'openai' : 'anthropic' },
    { ...c, model: ` ${c.model.toUpperCase()} `, batch: !c.batch },
  ]);
}

const UNKNOWN_MODELS = ['acme-llm-9000', 'our-llama', 'gpt-unknown-x', ''];

function expectSamePrices(options: GenaiPriceCatalogOptions, calls: PricedCall[]): void {
  const catalog = createGenaiPriceCatalog(options);
  const mismatches = calls
    .map((call) => ({ call, cached: catalog.priceCall(call), uncached: uncachedPriceCall(options, call) }))
    .filter(({ cached, uncached }) => !Object.is(cached, uncached));
  expect(mismatches.slice(0, 5)).toEqual([]);
}

describe('the cached catalog prices exactly as the library does uncached', () => {
  const calls = [...month(false), ...month(true)];
  const models = new Set(calls.map((c) => `${c.provider}/${c.model}`));

  it('over a generated month, every model and provider of the generator, relabelled, and unknown models', () => {
    expect(models.size).toBeGreaterThanOrEqual(8);
    const unknown = calls.slice(0, 400).map((c, i) => ({ ...c, model: UNKNOWN_MODELS[i % UNKNOWN_MODELS.length]! }));
    const all = [...relabelled(calls), ...unknown];
    expectSamePrices({}, all);
    // Unknown models stay unpriced, never zero.
    const catalog = createGenaiPriceCatalog();
    expect(unknown.filter((c) => c.model !== '').map((c) => catalog.priceCall(c))).toEqual(unknown.filter((c) => c.model !== '').map(() => null));
  });

  it('with overrides (any provider, one provider, a model the catalog lacks) and discounts', () => {
    const options: GenaiPriceCatalogOptions = {
      overrides: [
        { model: 'GPT-4o', inputPerMTok: 1, outputPerMTok: 2 },
        { model: 'claude-sonnet-4-20250514', provider: 'anthropic', inputPerMTok: 2, outputPerMTok: 9, cacheReadPerMTok: 0.2 },
        { model: 'our-llama', inputPerMTok: 0.2, outputPerMTok: 0.2, cacheWritePerMTok: 0.3 },
      ],
      discounts: { OpenAI: 0.2, anthropic: 0.15, google: 0.05 },
    };
    const unknown = calls.slice(0, 400).map((c, i) => ({ ...c, model: UNKNOWN_MODELS[i % UNKNOWN_MODELS.length]! }));
    expectSamePrices(options, [...relabelled(calls), ...unknown]);
  });

  it('for prices that change by date and by time of day, at every minute of a day and around each change', () => {
    // o3: one price before 2025-06-10, another from then on. deepseek-chat: a peak price from
    // 00:30 to 16:30 UTC. deepseek-v4-flash: a flat price, a new one from 2026-08-17, two peak windows.
    const base = { inputTokens: 123_457, cacheReadTokens: 54_321, cacheWriteTokens: 0, outputTokens: 9_876, batch: false };
    const days = ['2025-06-09', '2025-06-10', '2026-08-16', '2026-08-17'].map((d) => Date.parse(`${d}T00:00:00Z`));
    const times = days.flatMap((day) => Array.from({ length: 24 * 60 }, (_, m) => new Date(day + m * 60_000 - 1)));
    const calls = times.flatMap((at) => [
      { ...base, at, model: 'o3', provider: 'openai' },
      { ...base, at, model: 'deepseek-chat', provider: 'deepseek' },
      { ...base, at, model: 'deepseek-v4-flash', provider: null },
    ]);
    expectSamePrices({}, calls);
    const catalog = createGenaiPriceCatalog();
    const deepseekAt = (iso: string) => catalog.priceCall({ ...base, at: new Date(iso), model: 'deepseek-chat', provider: 'deepseek' });
    // The peak price is double the off-peak one: the time of day must reach the calculation.
    expect(deepseekAt('2026-09-01T12:00:00Z')! / deepseekAt('2026-09-01T20:00:00Z')!).toBeCloseTo(2, 9);
  });

  it('stays exact past the bound on resolved models (any model name a file carries)', () => {
    const sample = calls.filter((_, i) => i % 50 === 0);
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...sample[i % sample.length]!, model: i % 3 === 0 ? `gpt-4o-${i}` : `custom-${i}` }));
    expectSamePrices({}, [...many, ...sample, ...many.slice(0, 500)]);
  });

  it('keeps (provider, model) pairs apart whatever their labels hold', () => {
    const base = { at: new Date('2026-09-01T12:00:00Z'), inputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 100, batch: false };
    const catalog = createGenaiPriceCatalog();
    // Joined naively, both pairs read "openaigpt-4o"; the first is unknown, the second is not.
    expect(catalog.priceCall({ ...base, provider: 'openai', model: 'gpt-4o' })).toBeGreaterThan(0);
    expect(catalog.priceCall({ ...base, provider: 'open', model: 'aigpt-4o' })).toBe(uncachedPriceCall({}, { ...base, provider: 'open', model: 'aigpt-4o' }));
    expect(catalog.priceCall({ ...base, provider: 'openai\u0000x', model: 'gpt-4o' })).toBe(uncachedPriceCall({}, { ...base, provider: 'openai\u0000x', model: 'gpt-4o' }));
  });

  it('reports the same per-MTok prices as the library for every model of the generator', () => {
    const catalog = createGenaiPriceCatalog({ discounts: { openai: 0.1 } });
    const again = createGenaiPriceCatalog({ discounts: { openai: 0.1 } });
    for (const c of calls.filter((_, i) => i % 97 === 0)) {
      // A held resolution answers as a fresh catalog does.
      catalog.modelPrices(c.model, c.provider, c.at);
      expect(catalog.modelPrices(c.model, c.provider, c.at)).toEqual(again.modelPrices(c.model, c.provider, c.at));
    }
    expect(catalog.modelPrices('gpt-4o', 'openai', new Date('2026-09-01T00:00:00Z'))).toMatchObject({ inputPerMTok: 2.25, outputPerMTok: 9 });
  });
});
