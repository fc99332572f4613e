import { sql, type Kysely } from 'kysely';

/**
 * Rollups of usage_records, kept by the SQL usage store in the same statement that inserts the
 * records (sql-usage-store.ts), so the cost report reads a few thousand summed rows instead of
 * every call. Each holds integer sums (exact) and float sums (cost, latency) per group:
 *
 * - usage_daily: per UTC day and the aggregate's dimensions; serves `aggregate` and `overview`.
 * - usage_prefix_buckets: per prompt prefix and 5-minute bucket (the cache TTL), with the first
 *   and last call in it; serves `prefixStats` (cold starts need only each bucket's ends).
 * - usage_output_sizes: per output-stats group and output size over all time, successful calls
 *   only; serves `outputStats` without a range (exact percentiles from the counts of each size).
 *   It has no day: per day it would hold a row for nearly every call at a million calls a month
 *   (sizes spread widely), and a ranged question reads only its range's records anyway.
 *
 * Provider may be null: the unique keys treat nulls as equal (PostgreSQL 15+), as GROUP BY does.
 * Existing records are rolled up here once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE usage_daily (
    owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day date NOT NULL,
    provider text,
    model text NOT NULL,
    project text NOT NULL,
    feature text NOT NULL,
    status text NOT NULL,
    interactive boolean NOT NULL,
    batch boolean NOT NULL,
    requests bigint NOT NULL,
    retries bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    reasoning_tokens bigint NOT NULL,
    cost_usd double precision NOT NULL,
    unpriced_requests bigint NOT NULL,
    latency_ms_sum double precision NOT NULL,
    latency_count bigint NOT NULL,
    first_ts timestamptz NOT NULL,
    last_ts timestamptz NOT NULL,
    CONSTRAINT usage_daily_group UNIQUE NULLS NOT DISTINCT (owner_id, day, provider, model, project, feature, status, interactive, batch)
  )`.execute(db);

  await sql`CREATE TABLE usage_prefix_buckets (
    owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    model text NOT NULL,
    provider text,
    project text NOT NULL,
    feature text NOT NULL,
    prompt_prefix_hash text NOT NULL,
    bucket bigint NOT NULL,
    calls bigint NOT NULL,
    prefix_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    first_ts timestamptz NOT NULL,
    last_ts timestamptz NOT NULL,
    CONSTRAINT usage_prefix_buckets_group UNIQUE NULLS NOT DISTINCT (owner_id, model, provider, project, feature, prompt_prefix_hash, bucket)
  )`.execute(db);

  await sql`CREATE TABLE usage_output_sizes (
    owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    model text NOT NULL,
    provider text,
    project text NOT NULL,
    feature text NOT NULL,
    output_tokens integer NOT NULL,
    calls bigint NOT NULL,
    limited_requests bigint NOT NULL,
    max_output_tokens_sum bigint NOT NULL,
    CONSTRAINT usage_output_sizes_group UNIQUE NULLS NOT DISTINCT (owner_id, model, provider, project, feature, output_tokens)
  )`.execute(db);

  await sql`INSERT INTO usage_daily
    SELECT owner_id, (ts AT TIME ZONE 'UTC')::date, provider, model, project, feature, status, interactive, batch,
      count(*), count(*) FILTER (WHERE attempt > 1), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
      sum(cache_write_tokens), coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_usd), 0),
      count(*) FILTER (WHERE cost_usd IS NULL), coalesce(sum(latency_ms), 0), count(latency_ms), min(ts), max(ts)
    FROM usage_records
    GROUP BY owner_id, (ts AT TIME ZONE 'UTC')::date, provider, model, project, feature, status, interactive, batch`.execute(db);
  await sql`INSERT INTO usage_prefix_buckets
    SELECT owner_id, model, provider, project, feature, prompt_prefix_hash, floor(extract(epoch FROM ts) * 1000 / 300000)::bigint,
      count(*), coalesce(sum(prefix_tokens), 0), sum(cache_read_tokens), sum(cache_write_tokens), min(ts), max(ts)
    FROM usage_records WHERE prompt_prefix_hash IS NOT NULL
    GROUP BY owner_id, model, provider, project, feature, prompt_prefix_hash, floor(extract(epoch FROM ts) * 1000 / 300000)::bigint`.execute(db);
  await sql`INSERT INTO usage_output_sizes
    SELECT owner_id, model, provider, project, feature, output_tokens,
      count(*), count(max_output_tokens), coalesce(sum(max_output_tokens), 0)
    FROM usage_records WHERE status = 'ok'
    GROUP BY owner_id, model, provider, project, feature, output_tokens`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['usage_output_sizes', 'usage_prefix_buckets', 'usage_daily']) await db.schema.dropTable(table).ifExists().execute();
}
