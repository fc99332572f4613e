import { z } from 'zod';
import { isoTime, safeText } from '../safe-text.js';
import { repeatedParam } from './query.js';
import { UsageSourceSettingSchema } from './reconciliation.js';

/** Largest NDJSON upload accepted in one POST /v1/workspaces/:workspaceId/usage; bigger files go through the CLI in parts. */
export const MAX_USAGE_UPLOAD_BYTES = 64 * 1024 * 1024;

export const IngestLineErrorSchema = z.object({ line: z.number().int(), reason: z.string() });

export const IngestSummarySchema = z.object({
  /** Units read: lines of JSON lines (blank ones excluded), documents of pretty-printed JSON, rows of CSV. */
  lines: z.number().int(),
  /** New records stored. */
  inserted: z.number().int(),
  /** Records already stored before (same id or same content): not added twice. */
  duplicates: z.number().int(),
  /** Lines refused; the first of them are listed in `errors`. */
  rejected: z.number().int(),
  errors: z.array(IngestLineErrorSchema),
  /** Models the price catalog does not know: stored, but not priced. */
  unpricedModels: z.array(z.string()),
});
export type IngestSummary = z.infer<typeof IngestSummarySchema>;

/** The usage formats POST /v1/workspaces/:workspaceId/usage reads, by the name used in `?format=` and `--format`. */
export const USAGE_FORMAT_NAMES = [
  'tally',
  'openai',
  'anthropic',
  'litellm',
  'otel',
  'claude-code',
  'codex',
  'gemini-cli',
  'cursor',
  'bedrock',
  'openrouter',
  'langfuse',
  'helicone',
  'csv',
] as const;
export const UsageFormatNameSchema = z.enum(USAGE_FORMAT_NAMES, { error: () => `format must be one of ${USAGE_FORMAT_NAMES.join(', ')}` });
export type UsageFormatName = z.infer<typeof UsageFormatNameSchema>;

/**
 * The record fields a CSV column can be mapped to: Tally's own, plus `totalInputTokens` for a
 * column that counts all input (cache included: the cache columns are subtracted from it).
 */
export const CSV_MAPPING_FIELDS = [
  'id',
  'ts',
  'provider',
  'model',
  'project',
  'feature',
  'user',
  'inputTokens',
  'totalInputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'cacheWrite1hTokens',
  'reasoningTokens',
  'latencyMs',
  'status',
  'interactive',
  'batch',
  'maxOutputTokens',
  'promptPrefixHash',
  'prefixTokens',
  'attempt',
  'costUsd',
] as const;
export type CsvMappingField = (typeof CSV_MAPPING_FIELDS)[number];
/** Fields a CSV mapping must fill (with `inputTokens` or `totalInputTokens`). */
export const CSV_REQUIRED_FIELDS = ['ts', 'model', 'outputTokens'] as const;

/**
 * A name map given with an upload: for CSV, column name → record field; for Bedrock logs,
 * application inference profile (ARN or id) → model id.
 */
export const UsageMappingSchema = z.record(z.string().min(1).max(2048), z.string().min(1).max(200)).refine((m) => Object.keys(m).length <= 200, { message: 'at most 200 entries' });
export type UsageMapping = z.infer<typeof UsageMappingSchema>;

/**
 * The options of POST /v1/workspaces/:workspaceId/usage, as query parameters: `format` (detected when absent) and
 * `mapping`, a URL-encoded JSON object (see UsageMappingSchema).
 */
export const UsageUploadQuerySchema = z
  .object({
    format: UsageFormatNameSchema.optional(),
    mapping: z
      .string()
      .max(64 * 1024)
      .transform((text, ctx): unknown => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'mapping must be a JSON object from CSV column name to record field name' });
          return z.NEVER;
        }
      })
      .pipe(UsageMappingSchema)
      .optional(),
  })
  .passthrough();
export type UsageUploadQuery = z.infer<typeof UsageUploadQuerySchema>;

/** Details of USAGE_FORMAT_UNKNOWN: every format tried, and why it did not fit. */
export const UsageFormatsTriedSchema = z.object({
  tried: z.array(z.object({ format: UsageFormatNameSchema, reason: z.string() })),
  /** A CSV's header, when the content is CSV: the columns a mapping can name. */
  csvHeader: z.array(z.string()).optional(),
});
export type UsageFormatsTried = z.infer<typeof UsageFormatsTriedSchema>;

/** GET /v1/workspaces/:workspaceId/usage/overview: how much usage the workspace holds. */
export const UsageOverviewSchema = z.object({
  records: z.number().int(),
  /** First and last call time (ISO), null when there are no records. */
  from: z.string().nullable(),
  to: z.string().nullable(),
  models: z.array(z.string()),
});
export type UsageOverview = z.infer<typeof UsageOverviewSchema>;

/** Most values of one dashboard filter (models or projects) per request. */
export const MAX_DASHBOARD_FILTER_VALUES = 100;

const filterValues = z.array(safeText().min(1).max(200)).max(MAX_DASHBOARD_FILTER_VALUES);

/**
 * Filters of GET /v1/workspaces/:workspaceId/usage/dashboard (`?from=&to=&model=a&model=b&project=x`): ISO times, `from`
 * inclusive and `to` exclusive; a record matches when its model is one of `models` (if given)
 * and its project one of `projects` (if given).
 */
export const UsageDashboardFiltersSchema = z
  .object({ from: isoTime().optional(), to: isoTime().optional(), models: filterValues.optional(), projects: filterValues.optional() })
  .refine((f) => f.from === undefined || f.to === undefined || Date.parse(f.from) < Date.parse(f.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type UsageDashboardFilters = z.infer<typeof UsageDashboardFiltersSchema>;

/**
 * GET /v1/workspaces/:workspaceId/usage/dashboard's query string: the filters with `model` and `project` repeated once
 * per value (`?from=&to=&model=a&model=b&project=x`); parses to UsageDashboardFilters.
 */
export const UsageDashboardQuerySchema = z
  .object({
    from: z.string().optional(),
    to: z.string().optional(),
    model: repeatedParam(z.string()).optional(),
    project: repeatedParam(z.string()).optional(),
  })
  .transform(({ from, to, model, project }): z.input<typeof UsageDashboardFiltersSchema> => ({ from, to, models: model, projects: project }))
  .pipe(UsageDashboardFiltersSchema);
export type UsageDashboardQuery = z.input<typeof UsageDashboardQuerySchema>;

/** The query string's form of the dashboard's filters. */
export function usageDashboardQuery(filters: UsageDashboardFilters): UsageDashboardQuery {
  return { from: filters.from, to: filters.to, model: filters.models, project: filters.projects };
}

const money = z.number();
const count = z.number();

export const UsageDashboardTotalsSchema = z.object({
  requests: count,
  costUsd: money,
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: count,
  /** 1-hour cache writes (billed higher); 0 from a server that predates them. */
  cacheWrite1hTokens: count.default(0),
  /** Share of requests that ended in an error or a timeout, 0..1 (0 when there are none). */
  errorRate: z.number(),
  /** Requests whose model the price catalog does not know: counted, but not in costUsd. */
  unpricedRequests: count,
  /** Reasoning tokens, a part of outputTokens (0 where the source does not report them). */
  reasoningTokens: count.default(0),
  /** costUsd over the priced requests (0 when none is priced). */
  costPerRequestUsd: money.default(0),
  /** Share of the input side read from a cache: cache reads over uncached input + cache reads + cache writes, 0..1. */
  cacheHitRate: z.number().default(0),
});

export type UsageDashboardTotals = z.infer<typeof UsageDashboardTotalsSchema>;

/** One value of a breakdown; `share` is its part of the total cost, 0..1 (0 when the cost is 0). */
export const UsageDashboardSliceSchema = z.object({ key: z.string(), requests: count, costUsd: money, share: z.number() });
export type UsageDashboardSlice = z.infer<typeof UsageDashboardSliceSchema>;

/**
 * Where the dashboard's total cost came from (issue 18): per provider, the request-level records or
 * the provider's bill (each day from one of them, never both; see ReconciliationProvider). Only
 * without model or project filters and over whole UTC days, since a bill is neither by project
 * nor by hour; otherwise `applied` is false, `why` says so, and the total is the records'.
 */
export const UsageCostSourcesSchema = z.object({
  applied: z.boolean(),
  why: z.string().nullable(),
  /** The records' own total, for comparison: what costUsd was before any bill was counted. */
  requestCostUsd: money,
  providers: z.array(
    z.object({
      provider: z.string(),
      setting: UsageSourceSettingSchema,
      source: z.enum(['requests', 'billing', 'mixed']),
      costUsd: money,
      fromRequestsUsd: money,
      fromBillingUsd: money,
    }),
  ),
});
export type UsageCostSources = z.infer<typeof UsageCostSourcesSchema>;

/** GET /v1/workspaces/:workspaceId/usage/dashboard: the workspace's usage, summed for the usage page's figures and charts. */
export const UsageDashboardSchema = z.object({
  /**
   * The span the matched records fall in, at day precision (UTC midnights), clipped to the
   * filter's from/to; nulls when nothing matched.
   */
  range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  /** All of the user's data, whatever the filters: the choices of the filter controls. */
  available: z.object({ models: z.array(z.string()), projects: z.array(z.string()), from: z.string().nullable(), to: z.string().nullable() }),
  totals: UsageDashboardTotalsSchema,
  /** Every UTC day from the first matched day to the last, days without usage at 0. */
  byDay: z.array(z.object({ day: z.string(), costUsd: money, requests: count })),
  /** Cost per model per day, only where there was usage; by day, then model. */
  costByModelByDay: z.array(z.object({ day: z.string(), model: z.string(), costUsd: money })),
  /** Most expensive first. */
  byModel: z.array(UsageDashboardSliceSchema),
  byProject: z.array(UsageDashboardSliceSchema),
  byFeature: z.array(UsageDashboardSliceSchema).default([]),
  /** Calls without a provider are under `unknown`. */
  byProvider: z.array(UsageDashboardSliceSchema).default([]),
  /**
   * The same filters over the window just before this one, of the same length: this period
   * against the previous. Null unless the filters bound the window on both sides.
   */
  previous: z
    .object({
      from: z.string(),
      to: z.string(),
      /** Its costUsd is counted as the current total's is: each provider from its source (costSources). */
      totals: UsageDashboardTotalsSchema,
      /** Where the previous period's cost came from; absent from older servers, null when not applied. */
      costSources: UsageCostSourcesSchema.nullable().optional(),
    })
    .nullable()
    .default(null),
  /** Where `totals.costUsd` came from, per provider; null from a server that predates billing data. */
  costSources: UsageCostSourcesSchema.nullable().default(null),
});
export type UsageDashboard = z.infer<typeof UsageDashboardSchema>;
