import { z } from 'zod';
import { isoTime, safeText } from '../safe-text.js';
import { repeatedParam } from './query.js';

/** Most values of one explorer filter (models, features, …) per request. */
export const MAX_EXPLORER_FILTER_VALUES = 100;
/** Most calls on one page of GET /v1/workspaces/:workspaceId/usage/requests. */
export const MAX_REQUESTS_PAGE = 200;
/** Past this offset a page is refused: narrow the filters instead of paging through millions. */
export const MAX_REQUESTS_OFFSET = 100_000;

export const USAGE_STATUSES = ['ok', 'error', 'timeout'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

const values = z.array(safeText().min(1).max(200)).min(1).max(MAX_EXPLORER_FILTER_VALUES);

/**
 * Which calls the per-request explorer and the call statistics look at: ISO times (`from`
 * inclusive, `to` exclusive); a call matches when each given list holds its value. `users` are
 * the records' `user` labels (your end user, member or API key label).
 */
export const UsageCallFiltersSchema = z
  .object({
    from: isoTime().optional(),
    to: isoTime().optional(),
    models: values.optional(),
    projects: values.optional(),
    features: values.optional(),
    providers: values.optional(),
    users: values.optional(),
    statuses: z.array(z.enum(USAGE_STATUSES)).min(1).max(USAGE_STATUSES.length).optional(),
  })
  .strict()
  .refine((f) => f.from === undefined || f.to === undefined || Date.parse(f.from) < Date.parse(f.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type UsageCallFilters = z.infer<typeof UsageCallFiltersSchema>;

/**
 * The filters in wire form: each list a parameter repeated once per value (`?model=a&model=b`).
 * An unknown parameter is refused: a misspelt filter must not quietly show everything.
 */
const callFilterParams = {
  from: z.string().optional(),
  to: z.string().optional(),
  model: repeatedParam(z.string()).optional(),
  project: repeatedParam(z.string()).optional(),
  feature: repeatedParam(z.string()).optional(),
  provider: repeatedParam(z.string()).optional(),
  user: repeatedParam(z.string()).optional(),
  status: repeatedParam(z.enum(USAGE_STATUSES)).optional(),
};
type CallFilterParams = z.output<z.ZodObject<typeof callFilterParams>>;

function filtersOfParams(p: CallFilterParams): z.input<typeof UsageCallFiltersSchema> {
  return { from: p.from, to: p.to, models: p.model, projects: p.project, features: p.feature, providers: p.provider, users: p.user, statuses: p.status };
}

/** GET /v1/workspaces/:workspaceId/usage/call-stats's query string. */
export const UsageCallStatsQuerySchema = z
  .object(callFilterParams)
  .strict()
  .transform((p) => filtersOfParams(p))
  .pipe(UsageCallFiltersSchema);
export type UsageCallStatsQuery = z.input<typeof UsageCallStatsQuerySchema>;

/** One page of the explorer: the filters, and `limit` calls after the first `offset`, newest first. */
export const UsageRequestsPageQuerySchema = z
  .object({
    filters: UsageCallFiltersSchema,
    limit: z.number().int().min(1).max(MAX_REQUESTS_PAGE).default(50),
    offset: z.number().int().min(0).max(MAX_REQUESTS_OFFSET).default(0),
  })
  .strict();
export type UsageRequestsPageQuery = z.infer<typeof UsageRequestsPageQuerySchema>;

/** GET /v1/workspaces/:workspaceId/usage/requests's query string: the filters plus `limit` and `offset`. */
export const UsageRequestsQuerySchema = z
  .object({ ...callFilterParams, limit: z.coerce.number().optional(), offset: z.coerce.number().optional() })
  .strict()
  .transform(({ limit, offset, ...p }): z.input<typeof UsageRequestsPageQuerySchema> => ({ filters: filtersOfParams(p), limit, offset }))
  .pipe(UsageRequestsPageQuerySchema);
/** The query string's values (numbers as numbers: the client writes them out). */
export type UsageRequestsQuery = Omit<z.input<typeof UsageRequestsQuerySchema>, 'limit' | 'offset'> & { limit?: number | undefined; offset?: number | undefined };

/** The query string's form of the filters (and page), for the client. */
export function usageCallQuery(filters: UsageCallFilters, page?: { limit?: number; offset?: number }): UsageRequestsQuery {
  return {
    from: filters.from,
    to: filters.to,
    model: filters.models,
    project: filters.projects,
    feature: filters.features,
    provider: filters.providers,
    user: filters.users,
    status: filters.statuses,
    limit: page?.limit,
    offset: page?.offset,
  };
}

/** One stored call as the explorer shows it; token buckets as in the usage record (disjoint). */
export const UsageRequestSchema = z.object({
  ts: z.string(),
  provider: z.string().nullable(),
  model: z.string(),
  project: z.string(),
  feature: z.string(),
  user: z.string().nullable(),
  status: z.enum(USAGE_STATUSES),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  /** Part of outputTokens; 0 when the source did not report it. */
  reasoningTokens: z.number(),
  /** USD at the catalog price; null when the model is unknown to it. */
  costUsd: z.number().nullable(),
  latencyMs: z.number().nullable(),
  attempt: z.number(),
});
export type UsageRequest = z.infer<typeof UsageRequestSchema>;

/** GET /v1/workspaces/:workspaceId/usage/requests: `total` calls match; `requests` is the asked page of them. */
export const UsageRequestPageSchema = z.object({ total: z.number(), offset: z.number(), requests: z.array(UsageRequestSchema) });
export type UsageRequestPage = z.infer<typeof UsageRequestPageSchema>;

/** Latency of one model's calls that reported one: percentiles as PostgreSQL's percentile_cont. */
export const ModelLatencySchema = z.object({ model: z.string(), calls: z.number(), p50Ms: z.number(), p95Ms: z.number() });
export type ModelLatency = z.infer<typeof ModelLatencySchema>;

/** Spend of one `user` label (calls without one are under null). */
export const UserSpendSchema = z.object({ user: z.string().nullable(), requests: z.number(), costUsd: z.number(), share: z.number() });
export type UserSpend = z.infer<typeof UserSpendSchema>;

/** GET /v1/workspaces/:workspaceId/usage/call-stats: what needs each call, not the daily sums: latency percentiles and spend per user label. */
export const UsageCallStatsSchema = z.object({ latencyByModel: z.array(ModelLatencySchema), byUser: z.array(UserSpendSchema) });
export type UsageCallStats = z.infer<typeof UsageCallStatsSchema>;
