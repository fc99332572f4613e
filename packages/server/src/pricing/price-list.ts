import type { PriceList, PriceListEntry } from '@tally/protocol';
import type { PricesInForce } from './live-price-catalog.js';

/**
 * The price list a user sees: each model (of their own usage, every admin override, and any asked
 * for) at the price it is billed at now, and where that price comes from. Pure: the prices in
 * force and the model ids in, the list out.
 */
export function buildPriceList(inForce: PricesInForce, usedModels: readonly string[], at: Date = new Date()): PriceList {
  const { settings, source, catalog } = inForce;
  const wanted = new Map<string, { model: string; provider: string | null }>();
  const want = (model: string, provider: string | null) => {
    const key = `${model.toLowerCase().trim()}\u0000${provider ?? ''}`;
    if (!wanted.has(key)) wanted.set(key, { model, provider });
  };
  for (const model of usedModels) want(model, null);
  for (const o of settings.overrides) want(o.model, o.provider ?? null);

  const overridden = (model: string, provider: string | null) =>
    settings.overrides.some((o) => o.model === model.toLowerCase().trim() && (o.provider ?? null) === (provider === null ? null : provider.toLowerCase().trim()));

  const models = [...wanted.values()].map(({ model, provider }): PriceListEntry => {
    const prices = catalog.modelPrices(model, provider, at);
    if (!prices) {
      return { model, catalogModel: null, provider, source: 'unknown', discountPercent: 0, inputPerMTok: null, outputPerMTok: null, cacheReadPerMTok: null, cacheWritePerMTok: null, cacheWrite1hPerMTok: null };
    }
    const isOverride = overridden(model, provider) || (provider === null && overridden(model, null));
    return {
      model,
      catalogModel: prices.model,
      provider: isOverride ? provider : prices.provider,
      source: isOverride ? 'override' : 'catalog',
      // Overrides are the admin's final price: never discounted (genai-price-catalog.ts).
      discountPercent: isOverride ? 0 : (settings.discountsPercent[prices.provider.toLowerCase()] ?? 0),
      inputPerMTok: prices.inputPerMTok,
      outputPerMTok: prices.outputPerMTok,
      cacheReadPerMTok: prices.cacheReadPerMTok,
      cacheWritePerMTok: prices.cacheWritePerMTok,
      cacheWrite1hPerMTok: prices.cacheWrite1hPerMTok,
    };
  });
  models.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : (a.provider ?? '') < (b.provider ?? '') ? -1 : 1));
  return { catalog: source, discountsPercent: settings.discountsPercent, models };
}
