import { calcPrice, findProvider, type ModelInfo, type ModelPrice, type PriceCalculation, type Provider, type Usage } from '@pydantic/genai-prices';
import { createBoundedMemo } from './bounded-memo.js';
import { createCatalogDataLookup } from './catalog-data-lookup.js';
import type { ModelPrices, PriceCatalog, PricedCall, PricingRules } from './price-catalog.js';
import { entryIndexAt, libraryEntryPrice, libraryUsage, modelPlan, planAt, priceWithPlan, type ModelPlan, type TokenUsage } from './token-price-plan.js';

/**
 * An admin's own price for a model, used instead of the catalog's: contract prices, a model the
 * catalog does not know yet, a self-hosted model with an internal transfer price.
 */
export interface PriceOverride {
  /** The model id as it appears in usage records (compared case-insensitively, trimmed). */
  model: string;
  /** When set, the override applies only to calls from this provider. */
  provider?: string;
  inputPerMTok: number;
  outputPerMTok: number;
  /** Absent: cache reads are billed as ordinary input. */
  cacheReadPerMTok?: number;
  /** Absent: cache writes are billed as ordinary input. */
  cacheWritePerMTok?: number;
  /** 1-hour cache writes; absent: billed at `cacheWritePerMTok` (needs it). */
  cacheWrite1hPerMTok?: number;
}

export interface GenaiPriceCatalogOptions {
  overrides?: readonly PriceOverride[];
  /**
   * Negotiated discounts on catalog prices, per provider id (`openai`, `anthropic`...: the
   * catalog's id of the provider a call resolves to), as a fraction in [0, 1): 0.1 is 10% off.
   * They apply to every token bucket, after the batch discount; an override is the admin's final
   * price and is never discounted again.
   */
  discounts?: Readonly<Record<string, number>>;
  /**
   * A genai-prices data file an admin loaded (catalog-data.ts), used instead of the data bundled
   * with the package; absent: the bundled data.
   */
  providers?: readonly Provider[];
}

/**
 * Batch calls cost half the synchronous price at OpenAI, Anthropic and Google, on every token
 * bucket. genai-prices 0.1.8 has no batch dimension in its unit tree, so the discount is applied
 * here, to the whole price of the call. The one exception is a catalog entry that is itself a
 * batch price (OpenRouter lists `…:batch` model ids at half price): that price is used as is,
 * never halved twice.
 */
const BATCH_MULTIPLIER = 0.5;

const OVERRIDE_PROVIDER_ID = 'tally-override';
const OVERRIDE_PROVIDER_NAME = 'Admin override';

/**
 * How many (model, provider) resolutions a catalog holds. A month of real usage names a few dozen
 * models; the bound is there because a file can name any number.
 */
const RESOLVED_MODELS_HELD = 4096;

/**
 * A model the catalog knows, resolved: the provider it prices under, holding only that model,
 * and the id that selects it. Pricing a call through it skips the library's linear search over
 * every provider and model, while the library still picks the price entry for the call's own
 * time and computes the price itself.
 */
interface ResolvedModel {
  modelId: string;
  provider: Provider;
  /**
   * The model's entries as verified price plans (token-price-plan.ts): a call priced by its
   * entry's plan skips the library's per-call validation of the entry. Null: the library prices
   * every call.
   */
  plan: ModelPlan | null;
}

/** A catalog that can be rebuilt elsewhere: on a worker thread (the OTLP reader prices there). */
export interface GenaiPriceCatalog extends PriceCatalog {
  /**
   * What this catalog was made of, as data a thread can receive (structured clone): passed to
   * createGenaiPriceCatalog it makes a catalog that prices every call as this one does. The same
   * object for the catalog's whole life, so a receiver can tell a changed one by identity.
   */
  pricingSnapshot(): GenaiPriceCatalogOptions;
}

/** The PriceCatalog over `@pydantic/genai-prices`, with optional admin overrides taking precedence. */
export function createGenaiPriceCatalog(options: GenaiPriceCatalogOptions = {}): GenaiPriceCatalog {
  const snapshot: GenaiPriceCatalogOptions = {
    overrides: (options.overrides ?? []).map((o) => ({ ...o })),
    discounts: { ...options.discounts },
    ...(options.providers ? { providers: options.providers } : {}),
  };
  const overrides = (options.overrides ?? []).map((o) => ({ ...o, model: normalize(o.model) }));
  const loaded = options.providers ? createCatalogDataLookup(options.providers) : null;
  const overrideProviders = new Map(overrides.map((o) => [o, overrideProvider(o)]));
  const discounts = new Map(Object.entries(options.discounts ?? {}).map(([provider, d]) => [normalize(provider), d]));
  for (const [provider, d] of discounts) {
    if (!(d >= 0 && d < 1)) throw new RangeError(`discount for ${provider} must be a fraction in [0, 1), got ${d}`);
  }
  /** What is left of a price after the provider's discount (1 for overrides and undiscounted providers). */
  const kept = (provider: Provider) => (provider.name === OVERRIDE_PROVIDER_NAME ? 1 : 1 - (discounts.get(normalize(provider.id)) ?? 0));

  function findOverride(model: string, provider: string | null | undefined): PriceOverride | undefined {
    const id = normalize(model);
    const wanted = provider ? normalize(provider) : undefined;
    return (
      overrides.find((o) => o.model === id && o.provider !== undefined && normalize(o.provider) === wanted) ??
      overrides.find((o) => o.model === id && o.provider === undefined)
    );
  }

  /** Which model a call's (model, provider) is priced as; which model it is does not depend on time. */
  function resolve(model: string, provider: string | null | undefined, at: Date): ResolvedModel | null {
    const override = findOverride(model, provider);
    if (override) return withPlan(normalize(model), overrideProviders.get(override)!);
    // A provider label in a file is free text (a gateway name, a team's own label). When the
    // catalog knows it, it decides strictly (anthropic + gpt-4o is unknown, not OpenAI's price);
    // when it does not, the model id decides, as it does for calls with no provider at all.
    const known = provider ? findProvider({ providerId: provider }) !== undefined : false;
    const found = loaded ? loaded.find(model, provider, at) : calcPrice({}, model, { ...(known && provider ? { providerId: provider } : {}), timestamp: at });
    if (!found) return null;
    // The provider keeps its id and name (discounts, the batch-entry check and the library's own
    // per-provider rules key on them) and its one model keeps its price entries and their dates.
    const only: ModelInfo = { ...found.model, match: { equals: found.model.id } };
    return withPlan(found.model.id, { ...found.provider, models: [only] });
  }

  /** The resolved model with its plans, each checked against the library pricing its entry alone. */
  function withPlan(modelId: string, provider: Provider): ResolvedModel {
    return { modelId, provider, plan: modelPlan(provider.models[0]!, libraryEntryPrice(provider, modelId)) };
  }

  const resolved = createBoundedMemo<ResolvedModel | null>(RESOLVED_MODELS_HELD);
  const heldModelPrices = createBoundedMemo<ModelPrices | null>(RESOLVED_MODELS_HELD);
  function resolvedModel(model: string, provider: string | null | undefined, at: Date): ResolvedModel | null {
    // '' and null are the same "no provider" to the resolution. The length prefix keeps keys
    // distinct whatever characters the two free-text labels hold.
    const label = provider ?? '';
    return resolved.get(`${label.length}:${label}${model}`, () => resolve(model, provider, at));
  }
  function lookup(usage: Usage, model: string, provider: string | null | undefined, at: Date): PriceCalculation | null {
    const entry = resolvedModel(model, provider, at);
    return entry && calcPrice(usage, entry.modelId, { provider: entry.provider, timestamp: at });
  }
  /** A call's price from its entry's total: the batch discount, then the provider's. */
  function finalPrice(total: number, modelId: string, provider: Provider, batch: boolean): number {
    return (batch && halvesBatch(modelId) ? total * BATCH_MULTIPLIER : total) * kept(provider);
  }

  return {
    pricingSnapshot: () => snapshot,

    priceCall(call: PricedCall): number | null {
      // genai-prices counts input_tokens as the TOTAL input with cache reads and writes as
      // partitions of it, and 1-hour writes as a part of the writes; Tally's buckets are
      // disjoint, so the totals are rebuilt here.
      const write1h = call.cacheWrite1hTokens ?? 0;
      const tokens: TokenUsage = {
        input: call.inputTokens + call.cacheReadTokens + call.cacheWriteTokens + write1h,
        cacheRead: call.cacheReadTokens,
        cacheWrite: call.cacheWriteTokens + write1h,
        cacheWrite1h: write1h,
        output: call.outputTokens,
      };
      const entry = resolvedModel(call.model, call.provider, call.at);
      if (!entry) return null;
      const plan = entry.plan && planAt(entry.plan, call.at.getTime());
      const planned = plan && priceWithPlan(plan, tokens);
      if (planned !== null) return finalPrice(planned, entry.modelId, entry.provider, call.batch);
      const result = calcPrice(libraryUsage(tokens), entry.modelId, { provider: entry.provider, timestamp: call.at });
      if (!result) return null;
      return finalPrice(result.total_price, result.model.id, result.provider, call.batch);
    },

    pricingRules(model: string, provider: string | null): PricingRules | null {
      // Which model a call is priced as does not depend on its time (see resolvedModel).
      const entry = resolvedModel(model, provider, new Date());
      if (!entry) return null;
      return { entries: entry.plan, batchMultiplier: halvesBatch(entry.modelId) ? BATCH_MULTIPLIER : 1, kept: kept(entry.provider) };
    },

    modelPrices(model: string, provider?: string | null, at: Date = new Date()): ModelPrices | null {
      // The analysis asks for the same few models' prices thousands of times a run: they are
      // held per model and price entry (its dates known from the plan). A model whose entries
      // depend on more than the date (no plan) asks the library each time.
      const entry = resolvedModel(model, provider, at);
      if (!entry) return null;
      const index = entry.plan ? entryIndexAt(entry.plan, at.getTime()) : -1;
      if (index < 0) return modelPricesAt(model, provider, at);
      const label = provider ?? '';
      return heldModelPrices.get(`${index}:${label.length}:${label}${model}`, () => modelPricesAt(model, provider, at));
    },
  };

  /** The model's per-MTok prices at `at`, the provider's discount applied. */
  function modelPricesAt(model: string, provider: string | null | undefined, at: Date): ModelPrices | null {
    // Pricing nothing still resolves the model and the price entry active at `at`.
    const result = lookup({}, model, provider, at);
    if (!result) return null;
    const prices = toModelPrices(result.model.id, result.provider.id, result.model_price);
    const k = kept(result.provider);
    if (!prices || k === 1) return prices;
    const times = (v: number | null) => (v === null ? null : v * k);
    return {
      ...prices,
      inputPerMTok: prices.inputPerMTok * k,
      outputPerMTok: prices.outputPerMTok * k,
      cacheReadPerMTok: times(prices.cacheReadPerMTok),
      cacheWritePerMTok: times(prices.cacheWritePerMTok),
      cacheWrite1hPerMTok: times(prices.cacheWrite1hPerMTok),
    };
  }
}

/**
 * Reads per-MTok prices from the catalog's entry. Tiered prices report their base (below the
 * first threshold). A model with a cache-read price but no cache-write price bills writes as
 * ordinary input (the library does so, and OpenAI's automatic caching works that way), so the
 * write price reported is the input price; a model with neither reports null for both. A model
 * with no 1-hour write price bills 1-hour writes as any write (the library does so).
 */
function toModelPrices(model: string, provider: string, price: ModelPrice): ModelPrices | null {
  const input = baseOf(price['input_mtok']);
  const output = baseOf(price['output_mtok']);
  if (input === null || output === null) return null;
  const cacheRead = baseOf(price['cache_read_mtok']);
  const cacheWrite = baseOf(price['cache_write_mtok']) ?? (cacheRead === null ? null : input);
  const cacheWrite1h = baseOf(price['cache_write_1h_mtok']) ?? cacheWrite;
  return { model, provider, inputPerMTok: input, outputPerMTok: output, cacheReadPerMTok: cacheRead, cacheWritePerMTok: cacheWrite, cacheWrite1hPerMTok: cacheWrite1h };
}

function baseOf(value: ModelPrice[string]): number | null {
  if (value === undefined) return null;
  return typeof value === 'number' ? value : value.base;
}

/** Whether batch calls of the model are halved: not when its entry is itself a batch price. */
function halvesBatch(modelId: string): boolean {
  return !modelId.toLowerCase().endsWith(':batch');
}

function overrideProvider(o: PriceOverride): Provider {
  const prices: ModelPrice = { input_mtok: o.inputPerMTok, output_mtok: o.outputPerMTok };
  if (o.cacheReadPerMTok !== undefined) prices['cache_read_mtok'] = o.cacheReadPerMTok;
  if (o.cacheWritePerMTok !== undefined) prices['cache_write_mtok'] = o.cacheWritePerMTok;
  if (o.cacheWritePerMTok !== undefined && o.cacheWrite1hPerMTok !== undefined) prices['cache_write_1h_mtok'] = o.cacheWrite1hPerMTok;
  return {
    id: o.provider ?? OVERRIDE_PROVIDER_ID,
    name: OVERRIDE_PROVIDER_NAME,
    api_pattern: '$^',
    models: [{ id: o.model, match: { equals: o.model }, prices }],
  };
}

function normalize(id: string): string {
  return id.toLowerCase().trim();
}
