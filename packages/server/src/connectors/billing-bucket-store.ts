import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import type { BillingBucket, BillingProvider } from './billing-bucket.js';

/** Rows per INSERT: a 30-day backfill grouped by model, project and key can be thousands of buckets. */
const UPSERT_CHUNK = 500;

/**
 * Stores a provider's buckets for a workspace. A bucket with the same grouping (the table's primary
 * key) REPLACES the stored one, so a bucket fetched twice counts once and a partial current day
 * fetched again later is corrected rather than added to. Buckets that merge onto the same key
 * within one call (a provider answering the same grouping twice across pages) are summed first:
 * Postgres refuses to upsert one row twice in a statement.
 */
export async function upsertBuckets(db: Db, workspaceId: string, provider: BillingProvider, buckets: readonly BillingBucket[], fetchedAt = new Date()): Promise<number> {
  const merged = mergeSameKey(buckets);
  for (let i = 0; i < merged.length; i += UPSERT_CHUNK) {
    const rows = merged.slice(i, i + UPSERT_CHUNK).map((b) => ({
      workspace_id: workspaceId,
      provider,
      kind: b.kind,
      bucket_width: b.bucketWidth,
      bucket_start: b.bucketStart,
      model: b.model,
      project_id: b.projectId,
      api_key_id: b.apiKeyId,
      batch: b.batch,
      service_tier: b.serviceTier,
      line_item: b.lineItem,
      requests: b.requests,
      input_tokens: b.inputTokens,
      output_tokens: b.outputTokens,
      cache_read_tokens: b.cacheReadTokens,
      cache_write_tokens: b.cacheWriteTokens,
      cost_usd: b.costUsd,
      currency: b.currency,
      fetched_at: fetchedAt,
    }));
    await db
      .insertInto('provider_billing_buckets')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'provider', 'kind', 'bucket_width', 'bucket_start', 'model', 'project_id', 'api_key_id', 'batch', 'service_tier', 'line_item'])
          .doUpdateSet({
            requests: sql`excluded.requests`,
            input_tokens: sql`excluded.input_tokens`,
            output_tokens: sql`excluded.output_tokens`,
            cache_read_tokens: sql`excluded.cache_read_tokens`,
            cache_write_tokens: sql`excluded.cache_write_tokens`,
            cost_usd: sql`excluded.cost_usd`,
            currency: sql`excluded.currency`,
            fetched_at: sql`excluded.fetched_at`,
          }),
      )
      .execute();
  }
  return merged.length;
}

/**
 * Stores a fetch of the days [from, to) as the provider's whole account of them: the workspace's
 * stored buckets of that provider starting in those days are removed and the fetched ones stored,
 * in one transaction. A bucket the provider no longer reports goes, and when the figures of a day
 * come from another of the provider's APIs than before (Anthropic's Analytics API and its legacy
 * reports name cost line items differently) the day is not counted under both.
 */
export async function replaceWindowBuckets(db: Db, workspaceId: string, provider: BillingProvider, window: { from: Date; to: Date }, buckets: readonly BillingBucket[], fetchedAt = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('provider_billing_buckets').where('workspace_id', '=', workspaceId).where('provider', '=', provider).where('bucket_start', '>=', window.from).where('bucket_start', '<', window.to).execute();
    return upsertBuckets(trx, workspaceId, provider, buckets, fetchedAt);
  });
}

export interface BucketQuery {
  provider?: BillingProvider;
  /** Inclusive bucket start. */
  from?: Date;
  /** Exclusive bucket start. */
  to?: Date;
  kind?: BillingBucket['kind'];
}

/** A stored bucket, with its provider and when it was fetched. */
export interface StoredBillingBucket extends BillingBucket {
  provider: BillingProvider;
  fetchedAt: Date;
}

/** A workspace's stored buckets (only that workspace's), oldest first. */
export async function readBuckets(db: Db, workspaceId: string, query: BucketQuery = {}): Promise<StoredBillingBucket[]> {
  let q = db
    .selectFrom('provider_billing_buckets')
    .select([
      'provider',
      'kind',
      'bucket_width',
      'bucket_start',
      'model',
      'project_id',
      'api_key_id',
      'batch',
      'service_tier',
      'line_item',
      // int8 comes back as a string on pg; the figures fit a double exactly below 2^53.
      sql<number>`requests::float8`.as('requests'),
      sql<number>`input_tokens::float8`.as('input_tokens'),
      sql<number>`output_tokens::float8`.as('output_tokens'),
      sql<number>`cache_read_tokens::float8`.as('cache_read_tokens'),
      sql<number>`cache_write_tokens::float8`.as('cache_write_tokens'),
      'cost_usd',
      'currency',
      'fetched_at',
    ])
    .where('workspace_id', '=', workspaceId);
  if (query.provider) q = q.where('provider', '=', query.provider);
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.from) q = q.where('bucket_start', '>=', query.from);
  if (query.to) q = q.where('bucket_start', '<', query.to);
  const rows = await q.orderBy('bucket_start').orderBy('provider').orderBy('kind').orderBy('model').orderBy('line_item').execute();
  return rows.map((r) => ({
    provider: r.provider,
    kind: r.kind,
    bucketWidth: r.bucket_width,
    bucketStart: new Date(r.bucket_start),
    model: r.model,
    projectId: r.project_id,
    apiKeyId: r.api_key_id,
    batch: r.batch,
    serviceTier: r.service_tier,
    lineItem: r.line_item,
    requests: Number(r.requests),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
    currency: r.currency,
    fetchedAt: new Date(r.fetched_at),
  }));
}

function bucketKey(b: BillingBucket): string {
  return JSON.stringify([b.kind, b.bucketWidth, b.bucketStart.toISOString(), b.model, b.projectId, b.apiKeyId, b.batch, b.serviceTier, b.lineItem]);
}

/** Sums buckets sharing a key (see upsertBuckets); the order of first appearance is kept. */
function mergeSameKey(buckets: readonly BillingBucket[]): BillingBucket[] {
  const byKey = new Map<string, BillingBucket>();
  for (const b of buckets) {
    const key = bucketKey(b);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...b });
      continue;
    }
    seen.requests += b.requests;
    seen.inputTokens += b.inputTokens;
    seen.outputTokens += b.outputTokens;
    seen.cacheReadTokens += b.cacheReadTokens;
    seen.cacheWriteTokens += b.cacheWriteTokens;
    seen.costUsd = seen.costUsd === null && b.costUsd === null ? null : (seen.costUsd ?? 0) + (b.costUsd ?? 0);
  }
  return [...byKey.values()];
}
