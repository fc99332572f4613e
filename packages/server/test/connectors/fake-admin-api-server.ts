import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake OpenAI and Anthropic admin APIs share: a real HTTP server on port 0, the daily
 * figures a test plants (per UTC day, in the provider's own result shape), the answers a test
 * scripts ahead (429 with Retry-After, 500), a per-page size to force pagination, and what a
 * test checks afterwards: every request, and the most requests in flight at once per key (two
 * nodes syncing one connection at once would show as 2).
 */
export interface FakeAdminApi {
  url: string;
  /** Day (YYYY-MM-DD) -> usage results of that day's bucket. */
  usage: Map<string, unknown[]>;
  /** Day -> cost results of that day's bucket. */
  costs: Map<string, unknown[]>;
  /** The figures of any kind a dialect names (`usage` and `costs` are the two above). */
  figures(kind: string): Map<string, unknown[]>;
  /** Keys the fake accepts; any other gets 401. */
  keys: Set<string>;
  /** Buckets per page at most (the client's `limit` applies too). */
  pageSize: number;
  /** Each answer waits this long, so overlapping syncs would overlap here. */
  delayMs: number;
  /** The next requests get these answers instead (then normal service resumes). */
  scripted: Array<{ status: number; retryAfter?: string }>;
  requests: Array<{ path: string; query: URLSearchParams; key: string | null; at: number; status: number }>;
  maxInFlightPerKey: Map<string, number>;
  close(): Promise<void>;
}

export interface PageRequest {
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

/** A provider's dialect: where the key is, and how a page of buckets is asked for and answered. */
export interface AdminApiDialect {
  keyOf(headers: http.IncomingHttpHeaders): string | null;
  /** The body of an error answer in the provider's format. */
  errorBody(status: number, message: string): unknown;
  /** Checks the request as the provider documents it; an error message makes it a 400. */
  validate(request: PageRequest): string | null;
  /** The days [from, to) asked for, and the kind of figures. */
  range(request: PageRequest): { from: Date; to: Date; kind: string } | null;
  bucket(day: Date, results: unknown[]): unknown;
  /** For an API whose pages hold rows rather than buckets: a day's rows (instead of `bucket`). */
  rows?(kind: string, day: Date, results: unknown[], request: PageRequest): unknown[] | null;
  /** Fields a page carries besides data/has_more/next_page. */
  pageExtras?(): Record<string, unknown>;
}

const DAY_MS = 86_400_000;

export async function startFakeAdminApi(dialect: AdminApiDialect): Promise<FakeAdminApi> {
  const inFlight = new Map<string, number>();
  const tables = new Map<string, Map<string, unknown[]>>([
    ['usage', new Map()],
    ['costs', new Map()],
  ]);
  const fake: FakeAdminApi = {
    url: '',
    usage: tables.get('usage')!,
    costs: tables.get('costs')!,
    figures: (kind) => tables.get(kind) ?? tables.set(kind, new Map()).get(kind)!,
    keys: new Set(),
    pageSize: 31,
    delayMs: 0,
    scripted: [],
    requests: [],
    maxInFlightPerKey: new Map(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const key = dialect.keyOf(req.headers);
    const countKey = key ?? '';
    inFlight.set(countKey, (inFlight.get(countKey) ?? 0) + 1);
    fake.maxInFlightPerKey.set(countKey, Math.max(fake.maxInFlightPerKey.get(countKey) ?? 0, inFlight.get(countKey)!));
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      fake.requests.push({ path: url.pathname, query: url.searchParams, key, at: Date.now(), status });
      setTimeout(() => {
        inFlight.set(countKey, inFlight.get(countKey)! - 1);
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      }, fake.delayMs).unref();
    };
    if (req.method !== 'GET') return send(405, dialect.errorBody(405, 'method not allowed'));
    if (key === null || !fake.keys.has(key)) return send(401, dialect.errorBody(401, 'invalid admin key'));
    const scripted = fake.scripted.shift();
    if (scripted) return send(scripted.status, dialect.errorBody(scripted.status, scripted.status === 429 ? 'rate limited' : 'overloaded'), scripted.retryAfter ? { 'retry-after': scripted.retryAfter } : {});
    const request = { path: url.pathname, query: url.searchParams, headers: req.headers };
    const invalid = dialect.validate(request);
    if (invalid) return send(400, dialect.errorBody(400, invalid));
    const range = dialect.range(request);
    if (!range) return send(404, dialect.errorBody(404, `no route ${url.pathname}`));
    const figures = fake.figures(range.kind);
    const days: Date[] = [];
    for (let t = Math.floor(range.from.getTime() / DAY_MS) * DAY_MS; t < range.to.getTime(); t += DAY_MS) days.push(new Date(t));
    // The page cursor is opaque to clients; here it is the index of the page's first day.
    const offset = Number(Buffer.from(url.searchParams.get('page') ?? 'MA', 'base64url').toString() || 0);
    const size = Math.min(fake.pageSize, Number(url.searchParams.get('limit') ?? 7));
    const page = days.slice(offset, offset + size);
    const hasMore = offset + size < days.length;
    const resultsOf = (day: Date) => figures.get(day.toISOString().slice(0, 10)) ?? [];
    send(200, {
      ...dialect.pageExtras?.(),
      data: page.flatMap((day) => dialect.rows?.(range.kind, day, resultsOf(day), request) ?? [dialect.bucket(day, resultsOf(day))]),
      has_more: hasMore,
      next_page: hasMore ? Buffer.from(String(offset + size)).toString('base64url') : null,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** `group_by` values outside the documented ones, or a limit over the documented maximum: the provider's 400. */
export function checkGroupingAndLimit(values: string[], allowed: readonly string[], limit: string | null): string | null {
  const bad = values.find((v) => !allowed.includes(v));
  if (bad) return `invalid group_by: ${bad}`;
  if (limit !== null && !(Number(limit) >= 1 && Number(limit) <= 31)) return 'limit must be between 1 and 31 for 1d buckets';
  return null;
}
