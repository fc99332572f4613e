/** The providers Tally has connectors for (issue 18). */
export type BillingProvider = 'openai' | 'anthropic';
export const BILLING_PROVIDERS: readonly BillingProvider[] = ['openai', 'anthropic'];

/**
 * One aggregated figure from a provider's admin usage or cost API, as stored in
 * provider_billing_buckets (camelCase of its columns). '' in a grouping field means "not broken
 * down by it": the grouping fields together identify the bucket, so fetching it again replaces it.
 */
export interface BillingBucket {
  kind: 'usage' | 'cost';
  bucketWidth: '1h' | '1d';
  /** Start of the UTC hour or day. */
  bucketStart: Date;
  model: string;
  projectId: string;
  apiKeyId: string;
  /** OpenAI's batch flag as text: 'true', 'false', or '' when not grouped by it. */
  batch: 'true' | 'false' | '';
  serviceTier: string;
  /** Cost reports' line item ("input tokens", "web search"...); '' for usage rows. */
  lineItem: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD; null on usage rows (the providers' usage APIs carry no money). */
  costUsd: number | null;
  currency: string;
}

/** A bucket with every grouping and figure at its neutral value: the parsers fill in what the provider gave. */
export function emptyBucket(kind: BillingBucket['kind'], bucketWidth: BillingBucket['bucketWidth'], bucketStart: Date): BillingBucket {
  return {
    kind,
    bucketWidth,
    bucketStart,
    model: '',
    projectId: '',
    apiKeyId: '',
    batch: '',
    serviceTier: '',
    lineItem: '',
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: null,
    currency: 'usd',
  };
}
