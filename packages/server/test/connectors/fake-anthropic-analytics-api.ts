import { checkGroupingAndLimit, startFakeAdminApi, type FakeAdminApi, type PageRequest } from './fake-admin-api-server.js';
import { anthropicLegacyDialect } from './fake-anthropic-admin-api.js';

/**
 * A fake Anthropic Admin API serving the Usage and Cost Analytics API (beta) beside the legacy
 * reports, as one organization's API does. Written from Anthropic's reference (the Usage and Cost
 * Analytics API guide and the SDKs' BetaAnalyticsUsageItem / BetaAnalyticsCostItem /
 * ReportPageCursor): GET /v1/organizations/analytics/usage and /cost, `x-api-key`,
 * `anthropic-version` and `anthropic-beta: analytics-usage-cost-2026-08-24` required;
 * `starting_at` (inclusive), `ending_at` (exclusive, at most 31 days after), `time_bucket_width`,
 * `group_by[]`, `page`. Pages `{data, has_more, next_page, data_refreshed_at}` whose `data` is
 * rows `{starting_at, ending_at, group, usage|cost}`; each `group` value is null unless its
 * dimension is in `group_by[]`. Cost `amount`/`list_amount` are decimal strings of fractional
 * cents. `time_bucket_width=1d` is this client's reading of the enum (see the client's comment).
 *
 * `analytics: 'absent'` answers its paths 404, as for an organization without the API.
 */
const BETA = 'analytics-usage-cost-2026-08-24';
const DAY_MS = 86_400_000;
const USAGE_GROUP_BY = ['actor', 'actor_type', 'agent_id', 'api_key_id', 'claude_tag_category', 'claude_tag_user_id', 'context_window', 'deployment_id', 'environment_id', 'inference_geo', 'model', 'product', 'rbac_group_id', 'service_tier', 'session_id', 'slack_channel_id', 'speed', 'user_profile_id', 'workspace_id'] as const;
const COST_GROUP_BY = [...USAGE_GROUP_BY, 'cost_type', 'token_type'] as const;
const ANALYTICS_KIND: Record<string, string> = { '/v1/organizations/analytics/usage': 'analytics-usage', '/v1/organizations/analytics/cost': 'analytics-costs' };

export interface FakeAnthropicApi extends FakeAdminApi {
  /** Day -> that day's analytics usage rows' {group, usage} (analyticsUsage). */
  analyticsUsage: Map<string, unknown[]>;
  /** Day -> that day's analytics cost rows' {group, cost} (analyticsCost). */
  analyticsCosts: Map<string, unknown[]>;
  analytics: 'enabled' | 'absent';
}

export async function startFakeAnthropicApi(): Promise<FakeAnthropicApi> {
  const state = { analytics: 'enabled' as 'enabled' | 'absent' };
  const isAnalytics = (path: string) => path in ANALYTICS_KIND;
  const fake = await startFakeAdminApi({
    ...anthropicLegacyDialect,
    validate: (request) => {
      if (!isAnalytics(request.path)) return anthropicLegacyDialect.validate(request);
      if (state.analytics === 'absent') return null;
      const { query, headers } = request;
      if (!headers['anthropic-version']) return 'anthropic-version header is required';
      if (!String(headers['anthropic-beta'] ?? '').split(',').map((b) => b.trim()).includes(BETA)) return `this endpoint requires the anthropic-beta header ${BETA}`;
      const from = Date.parse(query.get('starting_at') ?? '');
      if (Number.isNaN(from)) return 'starting_at is required (RFC 3339)';
      const to = query.get('ending_at') ? Date.parse(query.get('ending_at')!) : from + 31 * DAY_MS;
      if (!(to > from) || to - from > 31 * DAY_MS) return 'the range may span at most 31 days';
      if (query.get('time_bucket_width') !== '1d') return 'this fake serves time_bucket_width=1d only';
      return checkGroupingAndLimit(query.getAll('group_by[]'), request.path.endsWith('/cost') ? COST_GROUP_BY : USAGE_GROUP_BY, null);
    },
    range: (request) => {
      if (!isAnalytics(request.path)) return anthropicLegacyDialect.range(request);
      if (state.analytics === 'absent') return null;
      const from = new Date(request.query.get('starting_at')!);
      const to = request.query.get('ending_at') ? new Date(request.query.get('ending_at')!) : new Date(from.getTime() + 31 * DAY_MS);
      return { from, to, kind: ANALYTICS_KIND[request.path]! };
    },
    rows: (kind, day, results, request) => (kind.startsWith('analytics-') ? results.map((r) => analyticsRow(day, r as AnalyticsFigures, request)) : null),
    pageExtras: () => ({ data_refreshed_at: new Date().toISOString() }),
  });
  // `analytics` is a live switch (an accessor over the dialect's state), not a copied value.
  return Object.defineProperty(Object.assign(fake, { analyticsUsage: fake.figures('analytics-usage'), analyticsCosts: fake.figures('analytics-costs') }), 'analytics', {
    get: () => state.analytics,
    set: (value: 'enabled' | 'absent') => {
      state.analytics = value;
    },
  }) as FakeAnthropicApi;
}

interface AnalyticsFigures {
  group: Record<string, string | null>;
  usage?: unknown;
  cost?: unknown;
  /** A test's override of the row's bounds (a server that did not bucket by day). */
  bounds?: { starting_at: string; ending_at: string };
}

/** A planted day's figures as the API answers them: the day's bounds, and only the asked-for dimensions filled. */
function analyticsRow(day: Date, figures: AnalyticsFigures, request: PageRequest) {
  const asked = new Set(request.query.getAll('group_by[]'));
  const dims = request.path.endsWith('/cost') ? COST_GROUP_BY : USAGE_GROUP_BY;
  const group = Object.fromEntries(dims.map((d) => [d, asked.has(d) ? (figures.group[d] ?? null) : null]));
  const { usage, cost } = figures;
  const bounds = figures.bounds ?? { starting_at: day.toISOString().replace('.000Z', 'Z'), ending_at: new Date(day.getTime() + DAY_MS).toISOString().replace('.000Z', 'Z') };
  return { ...bounds, group, ...(usage ? { usage } : { cost }) };
}

export function analyticsUsage(r: { model: string; uncached: number; cacheRead?: number; cache5m?: number; cache1h?: number; output: number; requests: number; workspaceId?: string; apiKeyId?: string }): AnalyticsFigures {
  const cacheWrite = (r.cache5m ?? 0) + (r.cache1h ?? 0);
  return {
    group: { model: r.model, workspace_id: r.workspaceId ?? null, api_key_id: r.apiKeyId ?? null, service_tier: 'standard', context_window: '0-200k', product: 'api' },
    usage: {
      uncached_input_tokens: r.uncached,
      cache_read_input_tokens: r.cacheRead ?? 0,
      cache_creation: { ephemeral_5m_input_tokens: r.cache5m ?? 0, ephemeral_1h_input_tokens: r.cache1h ?? 0 },
      output_tokens: r.output,
      requests: r.requests,
      server_tool_use: { web_search_requests: 0 },
      total_tokens: r.uncached + (r.cacheRead ?? 0) + cacheWrite + r.output,
    },
  };
}

/** `cents`/`listCents` as the API writes them: decimal strings of fractional cents ("123.4567" is $1.234567). */
export function analyticsCost(r: { cents: string; listCents: string; costType: string; tokenType?: string; model?: string; workspaceId?: string }): AnalyticsFigures {
  return {
    group: { model: r.model ?? null, workspace_id: r.workspaceId ?? null, service_tier: 'standard', cost_type: r.costType, token_type: r.tokenType ?? null, context_window: '0-200k' },
    // requests is null when grouped by cost_type/token_type (the reference); this fake always is.
    cost: { amount: r.cents, list_amount: r.listCents, currency: 'USD', requests: null },
  };
}
