import type { StoredBillingBucket } from '../connectors/billing-bucket-store.js';

const DAY_MS = 86_400_000;

/** The fields of a stored bucket the reconciliation reads. */
export type BilledBucket = Pick<
  StoredBillingBucket,
  | 'provider'
  | 'kind'
  | 'bucketWidth'
  | 'bucketStart'
  | 'model'
  | 'projectId'
  | 'apiKeyId'
  | 'batch'
  | 'serviceTier'
  | 'lineItem'
  | 'requests'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadTokens'
  | 'cacheWriteTokens'
  | 'costUsd'
>;

/** The UTC day (YYYY-MM-DD) a bucket starts in. */
export function bucketDay(bucket: Pick<BilledBucket, 'bucketStart'>): string {
  return new Date(bucket.bucketStart).toISOString().slice(0, 10);
}

/**
 * The buckets to add up: a grouping fetched both hourly and daily for a day would count twice, so
 * where a daily bucket of a grouping exists, that day's hourly ones of the same grouping are left out.
 */
export function countedBuckets<B extends BilledBucket>(buckets: readonly B[]): B[] {
  const dayKey = (b: BilledBucket) => JSON.stringify([b.provider, b.kind, bucketDay(b), b.model, b.projectId, b.apiKeyId, b.batch, b.serviceTier, b.lineItem]);
  const daily = new Set(buckets.filter((b) => b.bucketWidth === '1d').map(dayKey));
  return buckets.filter((b) => b.bucketWidth === '1d' || !daily.has(dayKey(b)));
}

/** What the bill of one provider says about which days. */
export interface ProviderCoverage {
  /** The first and last day with cost buckets: inside, a day without any was billed $0. */
  firstDay: string;
  lastDay: string;
  /**
   * Whether the connector has the whole of a day: it fetched a later day, or its last complete
   * fetch (provider_connections.synced_through) reaches the day's end. The current day, still
   * being billed, is not complete and its figure will still change.
   */
  isComplete(day: string): boolean;
  /**
   * Whether the connector is known to hold only part of the day: its last complete fetch
   * (synced_through) ends before the day does and no later day is billed: the provider is still
   * billing it (today). Such a day's figures so far are shown but not compared: a
   * bill that lags the logs by a few hours is not a difference. Unknown completeness (a bill with
   * no connection row) is not partial.
   */
  isPartial(day: string): boolean;
}

/**
 * Per provider, the days its cost buckets cover. `completeThrough`: per provider, the end of the
 * last complete day the connector fetched (null or absent when unknown).
 */
export function billingCoverage(buckets: readonly BilledBucket[], completeThrough: Readonly<Record<string, Date | null | undefined>> = {}): Map<string, ProviderCoverage> {
  const spans = new Map<string, { first: string; last: string }>();
  for (const b of buckets) {
    if (b.kind !== 'cost') continue;
    const day = bucketDay(b);
    const span = spans.get(b.provider);
    if (!span) spans.set(b.provider, { first: day, last: day });
    else {
      if (day < span.first) span.first = day;
      if (day > span.last) span.last = day;
    }
  }
  const coverage = new Map<string, ProviderCoverage>();
  for (const [provider, span] of spans) {
    const through = completeThrough[provider];
    const throughMs = through ? new Date(through).getTime() : Number.NEGATIVE_INFINITY;
    const isComplete = (day: string) => day < span.last || Date.parse(`${day}T00:00:00.000Z`) + DAY_MS <= throughMs;
    coverage.set(provider, {
      firstDay: span.first,
      lastDay: span.last,
      isComplete,
      isPartial: (day) => through != null && !isComplete(day),
    });
  }
  return coverage;
}

/** Whether `day` is inside a provider's billed span. */
export function isCovered(coverage: ProviderCoverage | undefined, day: string): boolean {
  return coverage !== undefined && day >= coverage.firstDay && day <= coverage.lastDay;
}
