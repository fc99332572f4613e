import type { UsageAggregateRow } from '../../src/usage/usage-store.js';
import type { StoredBillingBucket } from '../../src/connectors/billing-bucket-store.js';
import { emptyBucket } from '../../src/connectors/billing-bucket.js';

/**
 * A month of logs and a bill with differences planted in them, of known size (figures in the
 * test that reads them):
 * - OpenAI, billed per model with a 10 % discount on every line, on 2026-11-01..04:
 *   gpt-4o logged $10.00 a day (three rows of a third each), billed $9.00; gpt-4o-mini logged
 *   $2.50, billed $2.25. 2026-11-04's gpt-4o bill comes in 24 hourly buckets of $0.375.
 * - An unpriced model: gpt-new-preview, 40 requests on 2026-11-02, logged at $0, billed $3.33.
 * - A day with missing logs: 2026-11-05, billed gpt-4o $7.20 and gpt-4o-mini $1.80, nothing logged.
 * - Anthropic, billed per day without models, on 2026-11-01..03: claude-sonnet-4 logged and billed
 *   $20.00 a day; 2026-11-02 has a "Promotional credit" line of -$15.00; on 2026-11-03 the bill's
 *   usage counts 20 % more tokens than the logs.
 */
export const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];

export function row(day: string, model: string, costUsd: number, extra: Partial<UsageAggregateRow> = {}): UsageAggregateRow {
  return {
    day,
    provider: null,
    model,
    project: 'default',
    feature: 'default',
    status: 'ok',
    interactive: true,
    batch: false,
    requests: 100,
    retries: 0,
    inputTokens: 1000,
    outputTokens: 500,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    costUsd,
    unpricedRequests: 0,
    latencyMsSum: 0,
    latencyCount: 0,
    ...extra,
  };
}

export function bucket(provider: 'openai' | 'anthropic', kind: 'usage' | 'cost', start: string, fields: Partial<StoredBillingBucket> = {}): StoredBillingBucket {
  return { ...emptyBucket(kind, '1d', new Date(start)), provider, fetchedAt: new Date('2026-11-06T01:00:00Z'), ...fields };
}

export function plantedLogs(): UsageAggregateRow[] {
  const rows: UsageAggregateRow[] = [];
  for (const day of DAYS) {
    // Float noise a store's sums really have: a third of $10 three times.
    for (const project of ['a', 'b', 'c']) rows.push(row(day, 'gpt-4o', 10 / 3, { provider: 'openai', project }));
    rows.push(row(day, 'gpt-4o-mini-2024-07-18', 2.5, { requests: 200 }));
  }
  rows.push(row('2026-11-02', 'gpt-new-preview', 0, { requests: 40, unpricedRequests: 40 }));
  for (const day of DAYS.slice(0, 3)) rows.push(row(day, 'claude-sonnet-4-20250514', 20, { inputTokens: 10_000, outputTokens: 2_000 }));
  return rows;
}

export function plantedBill(): StoredBillingBucket[] {
  const buckets: StoredBillingBucket[] = [];
  for (const day of DAYS) {
    const start = `${day}T00:00:00Z`;
    if (day === '2026-11-04') {
      for (let h = 0; h < 24; h++) {
        buckets.push(bucket('openai', 'cost', `${day}T${String(h).padStart(2, '0')}:00:00Z`, { bucketWidth: '1h', model: 'gpt-4o-2024-08-06', lineItem: 'gpt-4o, input', costUsd: 0.375 }));
      }
    } else {
      buckets.push(bucket('openai', 'cost', start, { model: 'gpt-4o-2024-08-06', lineItem: 'gpt-4o, input', costUsd: 9 }));
    }
    buckets.push(bucket('openai', 'cost', start, { model: 'gpt-4o-mini', lineItem: 'gpt-4o-mini, input', costUsd: 2.25 }));
    buckets.push(bucket('openai', 'usage', start, { model: 'gpt-4o-2024-08-06', requests: 300, inputTokens: 3000, outputTokens: 1500 }));
    buckets.push(bucket('openai', 'usage', start, { model: 'gpt-4o-mini', requests: 200, inputTokens: 1000, outputTokens: 500 }));
  }
  buckets.push(bucket('openai', 'cost', '2026-11-02T00:00:00Z', { model: 'gpt-new-preview', lineItem: 'gpt-new-preview, input', costUsd: 3.33 }));
  buckets.push(bucket('openai', 'cost', '2026-11-05T00:00:00Z', { model: 'gpt-4o-2024-08-06', lineItem: 'gpt-4o, input', costUsd: 7.2 }));
  buckets.push(bucket('openai', 'cost', '2026-11-05T00:00:00Z', { model: 'gpt-4o-mini', lineItem: 'gpt-4o-mini, input', costUsd: 1.8 }));
  buckets.push(bucket('openai', 'usage', '2026-11-05T00:00:00Z', { model: 'gpt-4o-2024-08-06', requests: 240, inputTokens: 2400, outputTokens: 1200 }));
  for (const day of DAYS.slice(0, 3)) {
    const start = `${day}T00:00:00Z`;
    buckets.push(bucket('anthropic', 'cost', start, { lineItem: 'Claude API usage', costUsd: 20 }));
    const tokens = day === '2026-11-03' ? { inputTokens: 12_000, outputTokens: 2_400 } : { inputTokens: 10_000, outputTokens: 2_000 };
    buckets.push(bucket('anthropic', 'usage', start, tokens));
  }
  buckets.push(bucket('anthropic', 'cost', '2026-11-02T00:00:00Z', { lineItem: 'Promotional credit', costUsd: -15 }));
  return buckets;
}
