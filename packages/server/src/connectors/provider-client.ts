import { z } from 'zod';
import { AppError } from '../app-error.js';
import type { BillingBucket, BillingProvider } from './billing-bucket.js';
import { getProviderJson, type RetryPolicy } from './provider-http.js';

/** The UTC days to fetch: [from, to), both at 00:00Z. */
export interface FetchWindow {
  from: Date;
  to: Date;
}

export interface FetchContext {
  adminKey: string;
  window: FetchWindow;
  signal: AbortSignal;
  retry: RetryPolicy;
}

/** What one fetch read: the buckets (usage and cost kinds) and which of the provider's APIs answered. */
export interface FetchedBuckets {
  buckets: BillingBucket[];
  /** The provider API the figures came from (Anthropic has two: anthropic-admin-client.ts, anthropic-analytics-client.ts). */
  sourceApi: string;
}

/** One provider's admin usage and cost APIs, read into buckets (usage and cost kinds). */
export interface ProviderClient {
  fetchBuckets(context: FetchContext): Promise<FetchedBuckets>;
}

export type ProviderClients = Record<BillingProvider, ProviderClient>;

/** Buckets per page: both providers' maximum for daily buckets (31), so a month is one page of time. */
export const DAILY_BUCKETS_PER_PAGE = 31;
/** A provider that keeps answering has_more past this many pages is looping, not paginating. */
const MAX_PAGES = 2000;

const PageSchema = z.object({
  data: z.array(z.unknown()),
  has_more: z.boolean(),
  next_page: z.string().nullish(),
});

/**
 * Every page of a paginated admin endpoint (both providers: `data`, `has_more`, `next_page`, the
 * next request carrying `page=<next_page>`), its buckets in order. A malformed page or a cursor
 * that repeats is CONNECTOR_PROVIDER_INVALID: storing part of a window as if it were all of it
 * would read as genuinely lower spend.
 */
export async function readAllPages(url: URL, headers: Record<string, string>, context: FetchContext): Promise<unknown[]> {
  const buckets: unknown[] = [];
  const seen = new Set<string>();
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const parsed = PageSchema.safeParse(await getProviderJson({ url: url.toString(), headers, signal: context.signal, retry: context.retry }));
    if (!parsed.success) throw new AppError('CONNECTOR_PROVIDER_INVALID', `${url.host}${url.pathname} answered a page without data/has_more`);
    buckets.push(...parsed.data.data);
    const next = parsed.data.next_page;
    if (!parsed.data.has_more) return buckets;
    if (!next || seen.has(next)) throw new AppError('CONNECTOR_PROVIDER_INVALID', `${url.host}${url.pathname} said has_more without a new next_page`);
    seen.add(next);
    url.searchParams.set('page', next);
  }
  throw new AppError('CONNECTOR_PROVIDER_INVALID', `${url.host}${url.pathname} kept paginating past ${MAX_PAGES} pages`);
}

/** Parses one bucket with the provider's documented shape, or CONNECTOR_PROVIDER_INVALID naming the field. */
export function parseDocumented<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError('CONNECTOR_PROVIDER_INVALID', `${what}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'unexpected shape'}`);
}

/** A provider's daily bucket, read: its start and its results (each provider names the start its own way). */
export interface ReadBucket<R> {
  start: Date;
  results: R[];
}

/**
 * Every bucket of every page (readAllPages), each checked against the provider's documented shape
 * and its results turned into Tally's buckets by `toBucket`.
 */
export async function readBucketPages<R>(
  url: URL,
  headers: Record<string, string>,
  context: FetchContext,
  schema: z.ZodType<ReadBucket<R>, unknown>,
  what: string,
  toBucket: (start: Date, result: R) => BillingBucket,
): Promise<BillingBucket[]> {
  const buckets: BillingBucket[] = [];
  for (const raw of await readAllPages(url, headers, context)) {
    const bucket = parseDocumented(schema, raw, what);
    for (const result of bucket.results) buckets.push(toBucket(bucket.start, result));
  }
  return buckets;
}

/** How an endpoint names its bucket width, and its page size (null: the provider's default, when its maximum is not documented). */
export interface DailyDialect {
  widthParam: string;
  pageSize: number | null;
}

const BUCKET_REPORTS: DailyDialect = { widthParam: 'bucket_width', pageSize: DAILY_BUCKETS_PER_PAGE };

/** A daily-bucket endpoint's URL: the window's bounds as the provider spells them, the page size, the groupings. */
export function dailyEndpoint(baseUrl: string, path: string, bounds: Record<string, string>, groupParam: string, groupBy: readonly string[], dialect: DailyDialect = BUCKET_REPORTS): URL {
  const url = new URL(path, baseUrl);
  for (const [name, value] of Object.entries(bounds)) url.searchParams.set(name, value);
  url.searchParams.set(dialect.widthParam, '1d');
  if (dialect.pageSize !== null) url.searchParams.set('limit', String(dialect.pageSize));
  for (const g of groupBy) url.searchParams.append(groupParam, g);
  return url;
}

/** A count field: absent or null is 0 (the providers omit what a grouping does not have). */
export const count = z.number().int().min(0).nullish().transform((v) => v ?? 0);
/** A grouping field: null (not grouped by it) is ''. */
export const grouping = z.string().nullish().transform((v) => v ?? '');
