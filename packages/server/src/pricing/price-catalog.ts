import type { ModelPlan } from './token-price-plan.js';

/**
 * Prices of LLM calls, in USD. The catalog behind it is `@pydantic/genai-prices` (with admin
 * overrides later); a model it does not know yields null, never zero, so answers can flag it.
 */
export interface PriceCatalog {
  /** The cost of one call at its own time, or null when the model is unknown. */
  priceCall(call: PricedCall): number | null;
  /** Per-million-token prices of a model at a time, or null when unknown. */
  modelPrices(model: string, provider?: string | null, at?: Date): ModelPrices | null;
  /**
   * How every call of a (model, provider) is priced, as data a database can evaluate (re-pricing
   * at volume, reprice-formula.ts); null when the model is unknown (its calls are unpriced).
   */
  pricingRules?(model: string, provider: string | null): PricingRules | null;
}

/**
 * The pricing of one (model, provider) over time: `priceCall` of any call of it is, bit for bit,
 * `(batch ? total * batchMultiplier : total) * kept` of `total = priceWithPlan(planAt(entries, at), tokens)`
 * (token-price-plan.ts). An entry whose plan is null, or `entries` null (prices that
 * depend on more than the date), are priced by the library, call by call.
 */
export interface PricingRules {
  entries: ModelPlan | null;
  /** What a batch call pays of the price: 0.5, or 1 for an entry that is itself a batch price. */
  batchMultiplier: number;
  /** What a provider discount leaves of the price (1: none). */
  kept: number;
}

export interface PricedCall {
  model: string;
  provider?: string | null;
  /** When the call was made: prices change over time. */
  at: Date;
  /** Uncached input tokens (Tally's disjoint buckets). */
  inputTokens: number;
  cacheReadTokens: number;
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: number;
  /** 1-hour cache writes, apart from `cacheWriteTokens`; absent is 0. */
  cacheWrite1hTokens?: number;
  outputTokens: number;
  /** Sent through a batch API: billed at the provider's batch discount. */
  batch: boolean;
}

export interface ModelPrices {
  /** The catalog's own id and provider for the model. */
  model: string;
  provider: string;
  inputPerMTok: number;
  outputPerMTok: number;
  /** Null when the model has no cache-read price. */
  cacheReadPerMTok: number | null;
  /** 5-minute cache writes (and writes of unknown duration). */
  cacheWritePerMTok: number | null;
  /**
   * 1-hour cache writes: the catalog's `cache_write_1h_mtok` where it has one, else the same as
   * `cacheWritePerMTok` (a provider with one write price bills every write at it).
   */
  cacheWrite1hPerMTok: number | null;
}
