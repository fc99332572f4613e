import { z } from 'zod';
import { AppError } from '../app-error.js';
import { emptyBucket } from './billing-bucket.js';
import { count, dailyEndpoint, grouping, readBucketPages, type FetchContext, type ProviderClient } from './provider-client.js';

/** The Admin API version this client is written against (sent as `anthropic-version`). */
export const ANTHROPIC_VERSION = '2023-06-01';
/** This client's figures, as a sync names their source (Anthropic calls these reports legacy since the Analytics API). */
export const ANTHROPIC_LEGACY_REPORTS = 'anthropic-usage-cost-reports';

/**
 * Anthropic's Usage & Cost Admin API: GET /v1/organizations/usage_report/messages and
 * GET /v1/organizations/cost_report, with an admin key (`x-api-key`) and `anthropic-version`.
 * RFC 3339 `starting_at`/`ending_at` (buckets that end before it), daily buckets, `group_by[]`,
 * `page=<next_page>`.
 *
 * Units: `uncached_input_tokens` is already without the cache (Tally's input tokens); cache
 * writes are the 5-minute plus the 1-hour ones. The cost report's `amount` is a decimal STRING in
 * cents ("123.45" is $1.2345), so it is divided by 100. An Anthropic workspace is stored as the
 * project (its nearest equivalent of OpenAI's project).
 */
const UsageResult = z.object({
  uncached_input_tokens: count,
  cache_read_input_tokens: count,
  cache_creation: z.object({ ephemeral_5m_input_tokens: count, ephemeral_1h_input_tokens: count }).nullish(),
  output_tokens: count,
  model: grouping,
  api_key_id: grouping,
  workspace_id: grouping,
  service_tier: grouping,
});
const CostResult = z.object({
  amount: z.string(),
  currency: z.string().default('USD'),
  description: grouping,
  cost_type: grouping,
  token_type: grouping,
  context_window: grouping,
  model: grouping,
  service_tier: grouping,
  workspace_id: grouping,
});
const Bucket = <R extends z.ZodType>(result: R) =>
  z.object({ starting_at: z.string(), results: z.array(result) }).transform((b) => ({ start: bucketStart(b.starting_at), results: b.results as z.infer<R>[] }));

export function createAnthropicAdminClient(baseUrl: string): ProviderClient {
  const endpoint = (path: string, context: FetchContext, groupBy: string[]) =>
    dailyEndpoint(baseUrl, path, { starting_at: context.window.from.toISOString(), ending_at: context.window.to.toISOString() }, 'group_by[]', groupBy);
  return {
    async fetchBuckets(context) {
      const headers = { 'x-api-key': context.adminKey, 'anthropic-version': ANTHROPIC_VERSION, accept: 'application/json' };
      const usage = await readBucketPages(endpoint('/v1/organizations/usage_report/messages', context, ['model', 'api_key_id', 'workspace_id', 'service_tier']), headers, context, Bucket(UsageResult), 'Anthropic usage bucket', (start, r) => ({
        ...emptyBucket('usage', '1d', start),
        model: r.model,
        apiKeyId: r.api_key_id,
        projectId: r.workspace_id,
        serviceTier: r.service_tier,
        inputTokens: r.uncached_input_tokens,
        cacheReadTokens: r.cache_read_input_tokens,
        cacheWriteTokens: (r.cache_creation?.ephemeral_5m_input_tokens ?? 0) + (r.cache_creation?.ephemeral_1h_input_tokens ?? 0),
        outputTokens: r.output_tokens,
      }));
      const costs = await readBucketPages(endpoint('/v1/organizations/cost_report', context, ['workspace_id', 'description']), headers, context, Bucket(CostResult), 'Anthropic cost bucket', (start, r) => ({
        ...emptyBucket('cost', '1d', start),
        model: r.model,
        projectId: r.workspace_id,
        serviceTier: r.service_tier,
        lineItem: r.description || [r.cost_type, r.token_type, r.context_window].filter(Boolean).join(' '),
        costUsd: centsToDollars(r.amount),
        currency: r.currency.toLowerCase(),
      }));
      return { buckets: [...usage, ...costs], sourceApi: ANTHROPIC_LEGACY_REPORTS };
    },
  };
}

/** "123.45" (cents, a decimal string) to 1.2345 dollars; anything but a plain decimal is refused. */
export function centsToDollars(amount: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(amount.trim())) throw new AppError('CONNECTOR_PROVIDER_INVALID', `Anthropic cost amount ${JSON.stringify(amount.slice(0, 40))} is not a decimal string of cents`);
  return Number(amount) / 100;
}

/** An RFC 3339 time from an Anthropic answer, or CONNECTOR_PROVIDER_INVALID. */
export function bucketStart(iso: string): Date {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) throw new AppError('CONNECTOR_PROVIDER_INVALID', `Anthropic bucket starting_at ${JSON.stringify(iso.slice(0, 40))} is not a time`);
  return at;
}
