import { createClient, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { z } from 'zod';
import { clickHouseSql, epochMs, identifier, int, list, string, toEpochMs, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { epochDay, ownerDays, rollupRecomputations } from './clickhouse-rollups.js';
import { createClickHouseUsageRepricing } from './clickhouse-usage-reprice.js';
import type { UsageRepricing } from '../usage-repricing.js';
import { ensureUsageSchema, toClickHouseRow, type ClickHouseUsageRow } from './clickhouse-schema.js';
import { dayRange, type DayRange } from '../day-range.js';
import {
  CACHE_TTL_MS,
  type OutputStatRow,
  type PrefixStatRow,
  type PricedUsageRecord,
  type TimeRange,
  type UsageAggregateRow,
  type UsageIngestSession,
  type UsageOverview,
  type UsageStore,
} from '../usage-store.js';

export interface ClickHouseUsageStoreOptions {
  /** `http(s)://[user:password@]host:port[/database]`; the path, when there is one, names the database. */
  url: string;
  /** The database to use, over the URL's path; `tally` when neither names one. */
  database?: string;
  /** Per-request timeout; analysis over a large owner can take a while. */
  requestTimeoutMs?: number;
}

/** The UsageStore over ClickHouse; it holds an HTTP client, released by `close`. */
export interface ClickHouseUsageStore extends UsageStore {
  readonly database: string;
  /** Re-pricing of the stored records (clickhouse-usage-reprice.ts). */
  readonly repricing: UsageRepricing;
  close(): Promise<void>;
}

/** Rows per INSERT: large inserts are what MergeTree wants, bounded so one body stays a few MB. */
const INSERT_CHUNK = 20_000;
/**
 * Records per insert call the ingester should send: two key checks and one INSERT each, few
 * enough requests that their fixed cost is small, while an upload holds at most two such batches
 * (one being stored, one being read) of about 1.5 KB a record.
 */
const INGEST_BATCH = 10_000;
/**
 * Records an upload stores before its rollups are brought up to date mid-upload: the lag of
 * whole-day reads behind a long upload, and the most a crash can leave for a retry to repair.
 */
const ROLLUP_EVERY_RECORDS = 500_000;
/**
 * Keys per existence check, and a cap on its SQL size: one query for a whole ingest batch,
 * and few for large ones (each check costs a pass over the granules its keys fall in). The
 * query's max_query_size is raised to fit; the server default is 256 KiB.
 */
const KEY_CHUNK = 10_000;
const KEY_CHUNK_BYTES = 1024 * 1024;
const KEY_QUERY_MAX_BYTES = 2 * KEY_CHUNK_BYTES;

/**
 * Creates the ClickHouse usage store: connects, creates the database and tables if missing, and
 * answers every query exactly as the SQL store does (same grouping, order, casts and percentiles).
 *
 * Each record is counted once even before ClickHouse merges duplicates away: every read goes
 * through `FINAL` on the ReplacingMergeTree, whose sorting key holds the record's key and time,
 * so a copy left by a retried or concurrent insert is collapsed at read time (see clickhouse-schema.ts).
 */
export async function createClickHouseUsageStore(options: ClickHouseUsageStoreOptions): Promise<ClickHouseUsageStore> {
  const { serverUrl, database } = splitUrl(options.url, options.database);
  const client = createClient({
    url: serverUrl,
    application: 'tally',
    request_timeout: options.requestTimeoutMs ?? 300_000,
    // Counts and sums (UInt64) as JSON numbers: exact below 2^53, like the SQL store's float8.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    // Older servers close idle connections after 3 s: drop ours well before, and check a socket's
    // age when reusing it, since a busy event loop can delay the timer past the server's close.
    keep_alive: { idle_socket_ttl: 2000, eagerly_destroy_stale_sockets: true },
    // Errors reach the caller through the rejected promise; the client need not log them too.
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    await ensureUsageSchema(client, database);
  } catch (error) {
    await client.close();
    throw error;
  }
  return createStore(client, database);
}

function createStore(client: ClickHouseClient, database: string): ClickHouseUsageStore {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records`;
  const keysTable = clickHouseSql`${db}.usage_record_keys`;

  async function select<T>(query: ClickHouseSql, schema: z.ZodType<T>, settings: ClickHouseSettings = {}): Promise<T[]> {
    const result = await client.query({ query: query.text, format: 'JSONEachRow', clickhouse_settings: settings });
    return z.array(schema).parse(await result.json());
  }

  /** The owner's records in the range, one row per record: the base of every read. */
  function scoped(ownerId: string, range: TimeRange | undefined, extra?: ClickHouseSql): ClickHouseSql {
    let where = clickHouseSql`owner_id = ${uuid(ownerId)}`;
    if (range?.from !== undefined) where = clickHouseSql`${where} AND ts_ms >= ${epochMs(range.from)}`;
    if (range?.to !== undefined) where = clickHouseSql`${where} AND ts_ms < ${epochMs(range.to)}`;
    if (extra) where = clickHouseSql`${where} AND ${extra}`;
    return clickHouseSql`${records} FINAL WHERE ${where}`;
  }

  /** A rollup's rows of the owner over whole days, through FINAL (see clickhouse-rollups.ts). */
  function rolledUp(table: string, ownerId: string, days: DayRange, dayColumn: ClickHouseSql = clickHouseSql`day`): ClickHouseSql {
    let where = clickHouseSql`owner_id = ${uuid(ownerId)}`;
    if (days.fromMs !== undefined) where = clickHouseSql`${where} AND ${dayColumn} >= toDate(${string(isoDay(days.fromMs))})`;
    if (days.toMs !== undefined) where = clickHouseSql`${where} AND ${dayColumn} < toDate(${string(isoDay(days.toMs))})`;
    return clickHouseSql`${db}.${identifier(table)} FINAL WHERE ${where}`;
  }

  /** The keys of `keys` this owner has already stored. */
  async function existingKeys(ownerId: string, keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of literalChunks(keys.map(string))) {
      // The keys as one array literal, not an IN list: ClickHouse parses a list element by
      // element into its syntax tree, an array literal in one pass (measured 2-3x faster per
      // check of 5,000 keys); the set it builds still narrows the read through the primary index.
      const rows = await select(
        clickHouseSql`SELECT DISTINCT record_key FROM ${keysTable}
          WHERE owner_id = ${uuid(ownerId)} AND record_key IN (SELECT arrayJoin([${list(chunk)}]))`,
        z.object({ record_key: z.string() }),
        { max_query_size: String(KEY_QUERY_MAX_BYTES) },
      );
      for (const row of rows) found.add(row.record_key);
    }
    return found;
  }

  /**
   * Stores a batch's new records and their keys; returns how many were new. The first record of
   * a key wins, within the batch as across calls (as ON CONFLICT DO NOTHING).
   */
  async function storeRecords(ownerId: string, batch: readonly PricedUsageRecord[]): Promise<number> {
    const fresh = new Map<string, ClickHouseUsageRow>();
    for (const priced of batch) {
      const row = toClickHouseRow(ownerId, priced);
      if (!fresh.has(row.record_key)) fresh.set(row.record_key, row);
    }
    for (const key of await existingKeys(ownerId, [...fresh.keys()])) fresh.delete(key);
    const rows = [...fresh.values()];
    // Records first, keys second: a failure between the two leaves a record whose retry is
    // collapsed by FINAL (same sorting key), never a key without its record.
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      await client.insert({ table: records.text, values: chunk, format: 'JSONEachRow' });
      await client.insert({
        table: keysTable.text,
        values: chunk.map((r) => ({ owner_id: r.owner_id, record_key: r.record_key })),
        format: 'JSONEachRow',
      });
    }
    return rows.length;
  }

  /** Recomputes the owner's rollup rows of these UTC days (epoch day numbers) from the records. */
  async function rollUp(ownerId: string, days: Iterable<number>): Promise<void> {
    const list = [...days];
    if (list.length === 0) return;
    await Promise.all(rollupRecomputations(database, ownerDays(ownerId, list)).map((statement) => client.command({ query: statement.text })));
  }

  /**
   * An upload's batches: records and keys are stored batch by batch, and the rollups of every
   * day the upload touched are recomputed once, by `finish` (and every ROLLUP_EVERY_RECORDS
   * records, which bounds the work a crash leaves undone). Each recomputation reads its days
   * through FINAL, so doing it per batch re-read the same days once per batch: at 10,000 records
   * a batch, most of a ClickHouse ingest. While an upload runs, whole-day reads (the rollups)
   * lag its records by at most that much; ranged reads, from the records, do not.
   * Days of duplicates count too: a retry of an upload that failed before its rollups (all
   * duplicates then) repairs them.
   */
  function openSession(ownerId: string): UsageIngestSession {
    uuid(ownerId); // fails early on a malformed owner, before anything is written
    let days = new Set<number>();
    let pending = 0;
    // Days are noted before storing: a batch that fails halfway is rolled up by `finish` too.
    // They are forgotten only once rolled up.
    const rollUpDue = async () => {
      await rollUp(ownerId, days);
      days = new Set();
      pending = 0;
    };
    return {
      async insert(batch) {
        for (const priced of batch) days.add(epochDay(toEpochMs(priced.record.ts)));
        pending += batch.length;
        const inserted = await storeRecords(ownerId, batch);
        if (pending >= ROLLUP_EVERY_RECORDS) await rollUpDue();
        return { inserted, duplicates: batch.length - inserted };
      },
      finish: rollUpDue,
    };
  }

  return {
    database,
    repricing: createClickHouseUsageRepricing(client, database),
    insertBatchSize: INGEST_BATCH,
    openIngest: openSession,

    async insert(ownerId, batch) {
      const session = openSession(ownerId);
      const result = await session.insert(batch);
      await session.finish();
      return result;
    },

    async overview(ownerId, range): Promise<UsageOverview> {
      // One pass over the records (through FINAL) for the totals and the models; arraySort
      // orders strings by bytes, as the SQL store's COLLATE "C".
      const days = dayRange(range);
      const [totals] = await select(
        days
          ? clickHouseSql`SELECT sum(requests) AS records, min(first_ms) AS first, max(last_ms) AS last, arraySort(groupUniqArray(model)) AS models
              FROM ${rolledUp('usage_daily', ownerId, days)}`
          : clickHouseSql`SELECT count() AS records, min(ts_ms) AS first, max(ts_ms) AS last, arraySort(groupUniqArray(model)) AS models
              FROM ${scoped(ownerId, range)}`,
        z.object({ records: z.number(), first: z.number(), last: z.number(), models: z.array(z.string()) }),
      );
      const empty = !totals || totals.records === 0;
      return {
        records: totals?.records ?? 0,
        from: empty ? null : new Date(totals.first).toISOString(),
        to: empty ? null : new Date(totals.last).toISOString(),
        models: totals?.models ?? [],
      };
    },

    async aggregate(ownerId, range) {
      const days = dayRange(range);
      const rows = await select(
        days ? clickHouseSql`SELECT
            toString(day) AS d, if(provider_null = 1, NULL, provider_name) AS provider, model, project, feature,
            toString(status) AS s, interactive, batch,
            requests, retries,
            input_tokens AS inputTokens, output_tokens AS outputTokens,
            cache_read_tokens AS cacheReadTokens, cache_write_tokens AS cacheWriteTokens,
            cache_write_1h_tokens AS cacheWrite1hTokens,
            reasoning_tokens AS reasoningTokens, cost_usd AS costUsd, unpriced_requests AS unpricedRequests,
            latency_ms_sum AS latencyMsSum, latency_count AS latencyCount,
            first_ms AS firstMs, last_ms AS lastMs
          FROM ${rolledUp('usage_daily', ownerId, days)}
          ORDER BY day, provider_null, provider_name, model, project, feature, status, interactive, batch`
        : clickHouseSql`SELECT
            toString(day) AS d, provider, model, project, feature, toString(status) AS s, interactive, batch,
            count() AS requests,
            countIf(attempt > 1) AS retries,
            sum(input_tokens) AS inputTokens,
            sum(output_tokens) AS outputTokens,
            sum(cache_read_tokens) AS cacheReadTokens,
            sum(cache_write_tokens) AS cacheWriteTokens,
            sum(cache_write_1h_tokens) AS cacheWrite1hTokens,
            ifNull(sum(reasoning_tokens), 0) AS reasoningTokens,
            ifNull(sum(cost_usd), 0) AS costUsd,
            countIf(isNull(cost_usd)) AS unpricedRequests,
            ifNull(sum(latency_ms), 0) AS latencyMsSum,
            count(latency_ms) AS latencyCount,
            min(ts_ms) AS firstMs,
            max(ts_ms) AS lastMs
          FROM ${scoped(ownerId, range)}
          GROUP BY day, provider, model, project, feature, status, interactive, batch
          ORDER BY day, provider, model, project, feature, status, interactive, batch`,
        AggregateRowSchema,
      );
      return rows.map(({ d, s, interactive, batch, ...sums }): UsageAggregateRow => ({
        day: d,
        provider: sums.provider,
        model: sums.model,
        project: sums.project,
        feature: sums.feature,
        status: s,
        interactive: interactive === 1,
        batch: batch === 1,
        requests: sums.requests,
        retries: sums.retries,
        inputTokens: sums.inputTokens,
        outputTokens: sums.outputTokens,
        cacheReadTokens: sums.cacheReadTokens,
        cacheWriteTokens: sums.cacheWriteTokens,
        cacheWrite1hTokens: sums.cacheWrite1hTokens,
        reasoningTokens: sums.reasoningTokens,
        costUsd: sums.costUsd,
        unpricedRequests: sums.unpricedRequests,
        latencyMsSum: sums.latencyMsSum,
        latencyCount: sums.latencyCount,
        firstMs: sums.firstMs,
        lastMs: sums.lastMs,
      }));
    },

    async prefixStats(ownerId, range) {
      /*
       * Cold starts as the SQL store's window over time-ordered calls: the first call with the
       * prefix, and each call more than the cache TTL after the previous one. ClickHouse 18.16 has
       * no window functions, so calls are first cut into TTL-wide buckets: inside one, every gap is
       * at most the TTL, so only a bucket's first call can be cold, and it is when the previous
       * non-empty bucket's last call is more than the TTL before it. Memory follows the number of
       * buckets (at most a day's worth of 5-minute slots per day), not the number of calls.
       */
      const ttl = int(CACHE_TTL_MS);
      const days = dayRange(range);
      const buckets = days
        ? clickHouseSql`SELECT model, if(provider_null = 1, NULL, provider_name) AS provider, project, feature,
              prompt_prefix_hash AS promptPrefixHash, first_ms AS first, last_ms AS last, n_calls AS calls,
              prefix_tokens AS bucketPrefixTokens, cache_read_tokens AS bucketCacheReadTokens,
              cache_write_tokens AS bucketCacheWriteTokens, cache_write_1h_tokens AS bucketCacheWrite1hTokens, [intDiv(bucket * ${ttl}, ${int(DAY_MS)})] AS days
            FROM ${rolledUp('usage_prefix_buckets', ownerId, days, clickHouseSql`toDate(toDateTime(intDiv(bucket * ${ttl}, 1000), 'UTC'))`)}`
        : clickHouseSql`SELECT model, provider, project, feature, assumeNotNull(prompt_prefix_hash) AS promptPrefixHash,
              intDiv(ts_ms, ${ttl}) AS bucket,
              min(ts_ms) AS first, max(ts_ms) AS last,
              count() AS calls,
              ifNull(sum(prefix_tokens), 0) AS bucketPrefixTokens,
              sum(cache_read_tokens) AS bucketCacheReadTokens,
              sum(cache_write_tokens) AS bucketCacheWriteTokens,
              sum(cache_write_1h_tokens) AS bucketCacheWrite1hTokens,
              groupUniqArray(toUInt16(day)) AS days
            FROM ${scoped(ownerId, range, clickHouseSql`isNotNull(prompt_prefix_hash)`)}
            GROUP BY model, provider, project, feature, promptPrefixHash, bucket`;
      const rows = await select(
        clickHouseSql`SELECT
            model, provider, project, feature, promptPrefixHash,
            sum(calls) AS requests,
            sum(bucketPrefixTokens) AS prefixTokens,
            sum(bucketCacheReadTokens) AS cacheReadTokens,
            sum(bucketCacheWriteTokens) AS cacheWriteTokens,
            sum(bucketCacheWrite1hTokens) AS cacheWrite1hTokens,
            uniqExactArray(days) AS activeDays,
            arraySort(x -> x.1, groupArray((first, last))) AS spans,
            arrayMap(x -> x.1, spans) AS firsts,
            arrayPushFront(arrayPopBack(arrayMap(x -> x.2, spans)), firsts[1] - ${ttl} - 1) AS previousLasts,
            arrayCount((f, p) -> f - p > ${ttl}, firsts, previousLasts) AS coldStarts
          FROM (${buckets})
          GROUP BY model, provider, project, feature, promptPrefixHash
          HAVING requests > 1
          ORDER BY model, provider, project, feature, promptPrefixHash`,
        PrefixRowSchema,
      );
      return rows.map((r): PrefixStatRow => ({
        model: r.model,
        provider: r.provider,
        project: r.project,
        feature: r.feature,
        promptPrefixHash: r.promptPrefixHash,
        requests: r.requests,
        prefixTokens: r.prefixTokens,
        cacheReadTokens: r.cacheReadTokens,
        cacheWriteTokens: r.cacheWriteTokens,
        cacheWrite1hTokens: r.cacheWrite1hTokens,
        coldStarts: r.coldStarts,
        days: r.requests / r.activeDays,
        activeDays: r.activeDays,
      }));
    },

    async outputStats(ownerId, range) {
      /*
       * Percentiles exactly as PostgreSQL's percentile_cont: at position p*(n-1) of the sorted
       * outputs, linear between the values at its floor and ceiling, in the same float64 steps
       * (lo + frac * (hi - lo)). The outputs are first counted per distinct value, so memory
       * follows the number of distinct output sizes, not of calls; the value at 0-based rank r is
       * the first whose running count exceeds r.
       */
      const rank = (position: ClickHouseSql) =>
        clickHouseSql`toFloat64(outputs[arrayFirstIndex(c -> c > ${position}, running)])`;
      const days = dayRange(range);
      const sizes = days
        ? clickHouseSql`SELECT model, if(provider_null = 1, NULL, provider_name) AS provider, project, feature, output,
              sum(n_calls) AS calls, sum(n_limited) AS limited, sum(limit_sum) AS limitSum
            FROM ${rolledUp('usage_output_sizes', ownerId, days)}
            GROUP BY model, provider_null, provider_name, project, feature, output`
        : clickHouseSql`SELECT model, provider, project, feature, output_tokens AS output,
              count() AS calls, count(max_output_tokens) AS limited, ifNull(sum(max_output_tokens), 0) AS limitSum
            FROM ${scoped(ownerId, range, clickHouseSql`status = 'ok'`)}
            GROUP BY model, provider, project, feature, output`;
      const percentile = (position: ClickHouseSql) =>
        clickHouseSql`${rank(clickHouseSql`floor(${position})`)} + (${position} - floor(${position})) * (${rank(clickHouseSql`ceil(${position})`)} - ${rank(clickHouseSql`floor(${position})`)})`;
      const rows = await select(
        clickHouseSql`SELECT
            model, provider, project, feature,
            sum(calls) AS requests,
            sum(limited) AS limitedRequests,
            if(limitedRequests = 0, 0, sum(limitSum) / limitedRequests) AS meanMaxOutputTokens,
            arraySort(x -> x.1, groupArray((output, calls))) AS histogram,
            arrayMap(x -> x.1, histogram) AS outputs,
            arrayCumSum(arrayMap(x -> x.2, histogram)) AS running,
            0.5 * (requests - 1) AS p50Position,
            0.99 * (requests - 1) AS p99Position,
            ${percentile(clickHouseSql`p50Position`)} AS p50OutputTokens,
            ${percentile(clickHouseSql`p99Position`)} AS p99OutputTokens,
            max(output) AS maxOutputTokensSeen
          FROM (${sizes})
          GROUP BY model, provider, project, feature
          ORDER BY model, provider, project, feature`,
        OutputRowSchema,
      );
      return rows.map((r): OutputStatRow => ({
        model: r.model,
        provider: r.provider,
        project: r.project,
        feature: r.feature,
        requests: r.requests,
        limitedRequests: r.limitedRequests,
        meanMaxOutputTokens: r.meanMaxOutputTokens,
        p50OutputTokens: r.p50OutputTokens,
        p99OutputTokens: r.p99OutputTokens,
        maxOutputTokensSeen: r.maxOutputTokensSeen,
      }));
    },

    async close() {
      await client.close();
    },
  };
}

const groupColumns = { provider: z.string().nullable(), model: z.string(), project: z.string(), feature: z.string() };

const AggregateRowSchema = z.object({
  d: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  ...groupColumns,
  s: z.enum(['ok', 'error', 'timeout']),
  interactive: z.union([z.literal(0), z.literal(1)]),
  batch: z.union([z.literal(0), z.literal(1)]),
  requests: z.number(),
  retries: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number(),
  unpricedRequests: z.number(),
  latencyMsSum: z.number(),
  latencyCount: z.number(),
  firstMs: z.number(),
  lastMs: z.number(),
});

const PrefixRowSchema = z.object({
  ...groupColumns,
  promptPrefixHash: z.string(),
  requests: z.number(),
  prefixTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  coldStarts: z.number(),
  activeDays: z.number(),
});

const OutputRowSchema = z.object({
  ...groupColumns,
  requests: z.number(),
  limitedRequests: z.number(),
  meanMaxOutputTokens: z.number(),
  p50OutputTokens: z.number(),
  p99OutputTokens: z.number(),
  maxOutputTokensSeen: z.number(),
});

/** Encoded keys cut into existence checks small enough for one query each. */
function literalChunks(literals: ClickHouseSql[]): ClickHouseSql[][] {
  const chunks: ClickHouseSql[][] = [];
  let chunk: ClickHouseSql[] = [];
  let bytes = 0;
  for (const literal of literals) {
    const size = Buffer.byteLength(literal.text) + 2;
    if (chunk.length > 0 && (chunk.length >= KEY_CHUNK || bytes + size > KEY_CHUNK_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(literal);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const DATABASE_FROM_PATH = /^\/([A-Za-z_][A-Za-z0-9_]{0,63})\/?$/;

/** The server's URL without a path, and the database: the option, else the URL's path, else `tally`. */
function splitUrl(url: string, database: string | undefined): { serverUrl: string; database: string } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`ClickHouse URL must be http(s)://, got ${parsed.protocol}`);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  const fromPath = path ? DATABASE_FROM_PATH.exec(path)?.[1] : undefined;
  if (path && !fromPath) throw new TypeError(`ClickHouse URL path must be a database name, got ${path}`);
  parsed.pathname = '/';
  const name = database ?? fromPath ?? 'tally';
  identifier(name); // validated once here; every statement goes through the encoder again
  return { serverUrl: parsed.toString(), database: name };
}
