import { checkGroupingAndLimit, startFakeAdminApi, type AdminApiDialect, type FakeAdminApi } from './fake-admin-api-server.js';

/**
 * A fake Anthropic Usage & Cost Admin API, from Anthropic's API reference:
 * GET /v1/organizations/usage_report/messages and GET /v1/organizations/cost_report with
 * `x-api-key: <admin key>` and `anthropic-version` (required); `starting_at` (RFC 3339,
 * required), `ending_at` (buckets that end before it), `bucket_width=1d`, `group_by[]`, `limit`,
 * `page`. Answers `{data: [{starting_at, ending_at, results}], has_more, next_page}`; errors
 * `{type: "error", error: {type, message}}`. Cost results carry `amount` as a decimal STRING in
 * cents and `currency: "USD"`.
 */
const USAGE_GROUPS = ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window', 'account_id', 'service_account_id', 'inference_geo', 'speed'] as const;
const COST_GROUPS = ['workspace_id', 'description'] as const;

export function startFakeAnthropicAdminApi(): Promise<FakeAdminApi> {
  return startFakeAdminApi(anthropicLegacyDialect);
}

/** The legacy reports' dialect, which fake-anthropic-analytics-api.ts serves alongside the Analytics API. */
export const anthropicLegacyDialect: AdminApiDialect = {
    keyOf: (headers) => (typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : null),
    errorBody: (status, message) => ({ type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : 'invalid_request_error', message } }),
    validate: ({ path, query, headers }) => {
      if (!headers['anthropic-version']) return 'anthropic-version header is required';
      if (Number.isNaN(Date.parse(query.get('starting_at') ?? ''))) return 'starting_at is required (RFC 3339)';
      if ((query.get('bucket_width') ?? '1d') !== '1d') return 'this fake serves 1d buckets only';
      return checkGroupingAndLimit(query.getAll('group_by[]'), path.endsWith('/cost_report') ? COST_GROUPS : USAGE_GROUPS, query.get('limit'));
    },
    range: ({ path, query }) => {
      const kind = path === '/v1/organizations/usage_report/messages' ? 'usage' : path === '/v1/organizations/cost_report' ? 'costs' : null;
      if (!kind) return null;
      const from = new Date(query.get('starting_at')!);
      // Buckets that END before ending_at: the last day is the one ending at or before it.
      const to = query.get('ending_at') ? new Date(Math.floor(Date.parse(query.get('ending_at')!) / 86_400_000) * 86_400_000) : new Date();
      return { from, to, kind };
    },
    bucket: (day, results) => ({ starting_at: day.toISOString().replace('.000Z', 'Z'), ending_at: new Date(day.getTime() + 86_400_000).toISOString().replace('.000Z', 'Z'), results }),
};

export function anthropicUsage(r: { model: string; uncached: number; cacheRead?: number; cache5m?: number; cache1h?: number; output: number; workspaceId?: string; apiKeyId?: string }) {
  return {
    uncached_input_tokens: r.uncached,
    cache_read_input_tokens: r.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: r.cache5m ?? 0, ephemeral_1h_input_tokens: r.cache1h ?? 0 },
    output_tokens: r.output,
    server_tool_use: { web_search_requests: 0 },
    api_key_id: r.apiKeyId ?? null,
    workspace_id: r.workspaceId ?? null,
    model: r.model,
    service_tier: 'standard',
    context_window: null,
  };
}

/** `cents` as the API writes it: a decimal string ("123.45" is $1.2345). */
export function anthropicCost(r: { cents: string; description: string; model?: string; workspaceId?: string; tokenType?: string }) {
  return {
    currency: 'USD',
    amount: r.cents,
    workspace_id: r.workspaceId ?? null,
    description: r.description,
    cost_type: 'tokens',
    context_window: '0-200k',
    model: r.model ?? null,
    service_tier: 'standard',
    token_type: r.tokenType ?? null,
  };
}
