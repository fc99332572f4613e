/**
 * Prices of LLM calls, in USD. The catalog behind it is `@pydantic/genai-prices` (with admin
 * overrides later); a model it does not know yields null, never zero, so answers can flag it.
 */
export interface PriceCatalog {
  /** The cost of one call at its own time, or null when the model is unknown. */
  priceCall(call: PricedCall): number | null;
  /** Per-million-token prices of a model at a time, or null when unknown. */
  modelPrices(model: string, provider?: string | null, at?: Date): ModelPrices | null;
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
