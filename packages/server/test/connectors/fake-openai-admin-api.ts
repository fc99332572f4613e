import { checkGroupingAndLimit, startFakeAdminApi, type FakeAdminApi } from './fake-admin-api-server.js';

/**
 * A fake OpenAI organization Usage and Costs API, from OpenAI's API reference:
 * GET /v1/organization/usage/completions and GET /v1/organization/costs with
 * `Authorization: Bearer <admin key>`; `start_time` (unix seconds, required), `end_time`
 * (exclusive), `bucket_width=1d`, repeated `group_by`, `limit`, `page`. Answers
 * `{object: "page", data: [{object: "bucket", start_time, end_time, results}], has_more, next_page}`;
 * errors `{error: {message, type, code}}`. Results are what a test planted per day, e.g.
 * `{object: "organization.usage.completions.result", input_tokens, input_cached_tokens, output_tokens,
 * num_model_requests, model, project_id, api_key_id, batch}` or
 * `{object: "organization.costs.result", amount: {value, currency: "usd"}, line_item, project_id}`.
 */
const USAGE_GROUPS = ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier'] as const;
const COST_GROUPS = ['project_id', 'line_item'] as const;

export function startFakeOpenAiAdminApi(): Promise<FakeAdminApi> {
  return startFakeAdminApi({
    keyOf: (headers) => /^Bearer (.+)$/.exec(headers['authorization'] ?? '')?.[1] ?? null,
    errorBody: (status, message) => ({ error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', code: null } }),
    validate: ({ path, query }) => {
      if (!/^\d+$/.test(query.get('start_time') ?? '')) return 'start_time is required (unix seconds)';
      if ((query.get('bucket_width') ?? '1d') !== '1d') return 'this fake serves 1d buckets only';
      return checkGroupingAndLimit(query.getAll('group_by'), path.endsWith('/costs') ? COST_GROUPS : USAGE_GROUPS, query.get('limit'));
    },
    range: ({ path, query }) => {
      const kind = path === '/v1/organization/usage/completions' ? 'usage' : path === '/v1/organization/costs' ? 'costs' : null;
      if (!kind) return null;
      const from = new Date(Number(query.get('start_time')) * 1000);
      const to = query.get('end_time') ? new Date(Number(query.get('end_time')) * 1000) : new Date();
      return { from, to, kind };
    },
    bucket: (day, results) => ({ object: 'bucket', start_time: day.getTime() / 1000, end_time: day.getTime() / 1000 + 86_400, results }),
  });
}

/** A usage result as the API writes it (input_tokens include the cached ones). */
export function openAiUsage(r: { model: string; input: number; cached?: number; output: number; requests: number; projectId?: string; apiKeyId?: string; batch?: boolean }) {
  return {
    object: 'organization.usage.completions.result',
    input_tokens: r.input,
    input_cached_tokens: r.cached ?? 0,
    output_tokens: r.output,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    num_model_requests: r.requests,
    project_id: r.projectId ?? null,
    user_id: null,
    api_key_id: r.apiKeyId ?? null,
    model: r.model,
    batch: r.batch ?? false,
  };
}

export function openAiCost(r: { usd: number; lineItem: string; projectId?: string }) {
  return { object: 'organization.costs.result', amount: { value: r.usd, currency: 'usd' }, line_item: r.lineItem, project_id: r.projectId ?? null };
}
