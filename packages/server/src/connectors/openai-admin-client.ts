import { z } from 'zod';
import { emptyBucket } from './billing-bucket.js';
import { count, dailyEndpoint, grouping, readBucketPages, type FetchContext, type ProviderClient } from './provider-client.js';

/**
 * OpenAI's organization Usage API (GET /v1/organization/usage/completions) and Costs API
 * (GET /v1/organization/costs), with an admin key as a Bearer token. Daily buckets, unix-second
 * `start_time`/`end_time` (end exclusive), `limit` buckets a page, `page=<next_page>`.
 *
 * Units: `input_tokens` INCLUDES the cached ones (`input_cached_tokens`); Tally's input tokens are
 * the uncached ones (as in usage_records), so the cached count is taken out of it. Costs are
 * `amount.value` in the currency's unit (dollars for usd).
 */
const UsageResult = z.object({
  input_tokens: count,
  output_tokens: count,
  input_cached_tokens: count,
  num_model_requests: count,
  model: grouping,
  project_id: grouping,
  api_key_id: grouping,
  batch: z.boolean().nullish(),
  service_tier: grouping,
});
const CostResult = z.object({
  amount: z.object({ value: z.number(), currency: z.string().default('usd') }),
  line_item: grouping,
  project_id: grouping,
});
const Bucket = <R extends z.ZodType>(result: R) =>
  z.object({ start_time: z.number().int(), results: z.array(result) }).transform((b) => ({ start: new Date(b.start_time * 1000), results: b.results as z.infer<R>[] }));

export function createOpenAiAdminClient(baseUrl: string): ProviderClient {
  const endpoint = (path: string, context: FetchContext, groupBy: string[]) =>
    dailyEndpoint(baseUrl, path, { start_time: String(context.window.from.getTime() / 1000), end_time: String(context.window.to.getTime() / 1000) }, 'group_by', groupBy);
  return {
    async fetchBuckets(context) {
      const headers = { authorization: `Bearer ${context.adminKey}`, accept: 'application/json' };
      const usage = await readBucketPages(endpoint('/v1/organization/usage/completions', context, ['model', 'project_id', 'api_key_id', 'batch']), headers, context, Bucket(UsageResult), 'OpenAI usage bucket', (start, r) => ({
        ...emptyBucket('usage', '1d', start),
        model: r.model,
        projectId: r.project_id,
        apiKeyId: r.api_key_id,
        batch: r.batch === true ? 'true' : r.batch === false ? 'false' : '',
        serviceTier: r.service_tier,
        requests: r.num_model_requests,
        inputTokens: Math.max(0, r.input_tokens - r.input_cached_tokens),
        cacheReadTokens: r.input_cached_tokens,
        outputTokens: r.output_tokens,
      }));
      const costs = await readBucketPages(endpoint('/v1/organization/costs', context, ['line_item', 'project_id']), headers, context, Bucket(CostResult), 'OpenAI costs bucket', (start, r) => ({
        ...emptyBucket('cost', '1d', start),
        projectId: r.project_id,
        lineItem: r.line_item,
        costUsd: r.amount.value,
        currency: r.amount.currency.toLowerCase(),
      }));
      return { buckets: [...usage, ...costs], sourceApi: 'openai-usage-costs' };
    },
  };
}
