import { z } from 'zod';
import { AppError } from '../app-error.js';
import { ANTHROPIC_VERSION, bucketStart, centsToDollars } from './anthropic-admin-client.js';
import { emptyBucket, type BillingBucket } from './billing-bucket.js';
import { count, dailyEndpoint, grouping, readBucketPages, type FetchContext, type ProviderClient } from './provider-client.js';
import { splitWindow } from './sync-window.js';

/** The beta this client is written against, sent as `anthropic-beta` on every request (the API is in beta). */
export const ANALYTICS_BETA = 'analytics-usage-cost-2026-08-24';
/** This client's figures, as a sync names their source. */
export const ANTHROPIC_ANALYTICS_API = 'anthropic-usage-cost-analytics';
/** One request spans at most this many days: `ending_at` defaults to `starting_at` + 31 days. */
const MAX_DAYS_PER_REQUEST = 31;
const DAY_MS = 86_400_000;

/**
 * Anthropic's Usage and Cost Analytics API (beta; the one Anthropic recommends for new
 * integrations): GET /v1/organizations/analytics/usage and GET /v1/organizations/analytics/cost,
 * admin key as `x-api-key`, `anthropic-version` and `anthropic-beta: analytics-usage-cost-2026-08-24`.
 * Query: `starting_at` (inclusive), `ending_at` (exclusive), `time_bucket_width`, `group_by[]`,
 * `page=<next_page>`. Pages are `{data, has_more, next_page, data_refreshed_at}` (the SDKs'
 * ReportPageCursor), read by readAllPages like the legacy reports.
 *
 * Unlike the legacy reports, `data` holds ROWS, not buckets: BetaAnalyticsUsageItem
 * `{starting_at, ending_at, group, usage}` and BetaAnalyticsCostItem `{starting_at, ending_at,
 * group, cost}`; `group` has every dimension, null unless it is in `group_by[]`.
 *
 * Units: `usage.uncached_input_tokens` is already without the cache (Tally's input tokens); cache
 * writes are `cache_creation.ephemeral_5m_input_tokens` + `ephemeral_1h_input_tokens`.
 * `cost.amount` is a decimal STRING of fractional cents, post-discount and pre-credit: the billed
 * figure, stored as dollars. `cost.list_amount` (pre-discount list price) is not stored: storing
 * both would count the same spend twice. `cost.requests` is not read: it is null when grouped by
 * cost_type/token_type, and requests are counted once, on usage rows.
 *
 * NOT CERTAIN from the reference read (the SDK docs give the parameter as `time_bucket_width`
 * with the enum AnalyticsTimeBucketWidth, and the guide speaks of daily, hourly or per-minute
 * buckets, but the enum's spelling was not found): its value is sent as '1d', the spelling of
 * every other Anthropic report. So that a misread cannot store a wrong bill, each row must span
 * exactly one UTC day, else CONNECTOR_PROVIDER_INVALID. No `limit` is sent (its maximum for rows
 * was not found): the API's default page size, every page read.
 */
const Group = z.object({ model: grouping, api_key_id: grouping, workspace_id: grouping, service_tier: grouping });
const CostGroup = Group.extend({ cost_type: grouping, token_type: grouping });
const UsageMetrics = z.object({
  uncached_input_tokens: count,
  cache_read_input_tokens: count,
  cache_creation: z.object({ ephemeral_5m_input_tokens: count, ephemeral_1h_input_tokens: count }).nullish(),
  output_tokens: count,
  requests: count,
});
const CostMetrics = z.object({ amount: z.string(), currency: z.string() });

/** A row's day: it must span exactly one UTC day (see above), or CONNECTOR_PROVIDER_INVALID. */
function rowDay(row: { starting_at: string; ending_at: string }): Date {
  const start = bucketStart(row.starting_at);
  const end = bucketStart(row.ending_at);
  if (start.getTime() % DAY_MS !== 0 || end.getTime() - start.getTime() !== DAY_MS) {
    throw new AppError('CONNECTOR_PROVIDER_INVALID', `Anthropic analytics row ${row.starting_at.slice(0, 40)}..${row.ending_at.slice(0, 40)} is not one UTC day`);
  }
  return start;
}

// Each row read as a one-result bucket, so readBucketPages reads both of Anthropic's APIs.
const UsageRow = z.object({ starting_at: z.string(), ending_at: z.string(), group: Group, usage: UsageMetrics }).transform((row) => ({ start: rowDay(row), results: [row] }));
const CostRow = z.object({ starting_at: z.string(), ending_at: z.string(), group: CostGroup, cost: CostMetrics }).transform((row) => ({ start: rowDay(row), results: [row] }));

// Usage is grouped as the legacy report is, so a day re-fetched from the other API has the same keys.
const USAGE_GROUPS = ['model', 'api_key_id', 'workspace_id', 'service_tier'];
// The line item is the cost component (cost_type, and token_type for tokens), as the legacy report's description is.
const COST_GROUPS = ['model', 'workspace_id', 'service_tier', 'cost_type', 'token_type'];

export function createAnthropicAnalyticsClient(baseUrl: string): ProviderClient {
  const endpoints = (path: string, context: FetchContext, groupBy: string[]) =>
    splitWindow(context.window, MAX_DAYS_PER_REQUEST).map((piece) =>
      dailyEndpoint(baseUrl, path, { starting_at: piece.from.toISOString(), ending_at: piece.to.toISOString() }, 'group_by[]', groupBy, { widthParam: 'time_bucket_width', pageSize: null }),
    );
  return {
    async fetchBuckets(context) {
      const headers = { 'x-api-key': context.adminKey, 'anthropic-version': ANTHROPIC_VERSION, 'anthropic-beta': ANALYTICS_BETA, accept: 'application/json' };
      const buckets: BillingBucket[] = [];
      for (const url of endpoints('/v1/organizations/analytics/usage', context, USAGE_GROUPS)) {
        buckets.push(
          ...(await readBucketPages(url, headers, context, UsageRow, 'Anthropic analytics usage row', (start, { group, usage }) => ({
            ...emptyBucket('usage', '1d', start),
            model: group.model,
            apiKeyId: group.api_key_id,
            projectId: group.workspace_id,
            serviceTier: group.service_tier,
            requests: usage.requests,
            inputTokens: usage.uncached_input_tokens,
            cacheReadTokens: usage.cache_read_input_tokens,
            cacheWriteTokens: (usage.cache_creation?.ephemeral_5m_input_tokens ?? 0) + (usage.cache_creation?.ephemeral_1h_input_tokens ?? 0),
            outputTokens: usage.output_tokens,
          }))),
        );
      }
      for (const url of endpoints('/v1/organizations/analytics/cost', context, COST_GROUPS)) {
        buckets.push(
          ...(await readBucketPages(url, headers, context, CostRow, 'Anthropic analytics cost row', (start, { group, cost }) => ({
            ...emptyBucket('cost', '1d', start),
            model: group.model,
            projectId: group.workspace_id,
            serviceTier: group.service_tier,
            lineItem: [group.cost_type, group.token_type].filter(Boolean).join(' '),
            costUsd: centsToDollars(cost.amount),
            currency: cost.currency.toLowerCase(),
          }))),
        );
      }
      return { buckets, sourceApi: ANTHROPIC_ANALYTICS_API };
    },
  };
}
