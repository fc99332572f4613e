import type { UsageRecord } from '@tally/protocol';
import type { UsageRowForm, UsageRows } from './usage-row-form.js';

/**
 * Where usage records live and how analysis reads them. Implementations: SQL (PGlite and
 * PostgreSQL through Kysely) now, ClickHouse later; every one passes the same contract suite.
 * Every method takes the workspace that owns the data (the `owner_id` column; a personal
 * workspace's id is its person's id): no call can read or write another workspace's records.
 */
export interface UsageStore {
  /** Store priced records; ones already stored (same key in this workspace) are counted, not added. */
  insert(workspaceId: string, records: PricedUsageRecord[]): Promise<{ inserted: number; duplicates: number }>;
  /**
   * Records per insert call the store works best with (each call has a fixed cost: a statement,
   * an HTTP request); the ingester batches by it. Absent: 1000.
   */
  readonly insertBatchSize?: number;
  /** How this store's rows are serialised (usage-rows.ts): what `insertRows` takes. */
  readonly rowForm: UsageRowForm;
  /**
   * Stores rows prepared in `rowForm` (priced, keyed, serialised, possibly on another thread), as
   * `insert` stores records: keys already stored are counted as duplicates, not added.
   */
  insertRows(workspaceId: string, rows: UsageRows): Promise<{ inserted: number; duplicates: number }>;
  /**
   * One upload's inserts as a session, for a store that keeps derived data (rollups) cheaper to
   * bring up to date once per upload than once per batch. Absent: the ingester calls `insert`
   * per batch, and each insert is complete on return.
   */
  openIngest?(workspaceId: string): UsageIngestSession;
  /** Records, time span and models of this workspace's data. */
  overview(workspaceId: string, range?: TimeRange): Promise<UsageOverview>;
  /** Sums per (day, provider, model, project, feature, status, interactive, batch). */
  aggregate(workspaceId: string, range?: TimeRange): Promise<UsageAggregateRow[]>;
  /** Sums per repeated prompt prefix (seen at least twice), for the caching strategy. */
  prefixStats(workspaceId: string, range?: TimeRange): Promise<PrefixStatRow[]>;
  /**
   * Output-size distribution per (model, provider, project, feature), for the oversized-limits
   * strategy. Only successful calls count: a failed call's output says nothing of the need.
   */
  outputStats(workspaceId: string, range?: TimeRange): Promise<OutputStatRow[]>;
  /**
   * `aggregate`, `prefixStats` and `outputStats` of one range at once, equal to the three reads,
   * in fewer round trips where the store can (a run's data step asks for all three, and under
   * load every statement waits for a pooled connection). Absent: the three reads.
   */
  analysisReads?(workspaceId: string, range?: TimeRange, seenVersion?: string | null): Promise<AnalysisReads>;
  /**
   * The whole history's overview and the version of the workspace's usage it was read at (a store
   * that keeps analysis reads between runs, sql-usage-store.ts). A run that passes that version on
   * to `analysisReads` as `seenVersion` is answered from memory, with no statement, when the node
   * kept the reads of that very version: the run's data is then as of its overview, one round trip
   * less. Absent: the store keeps no versions.
   */
  versionedOverview?(workspaceId: string): Promise<VersionedOverview>;
  /**
   * Removes every record of this workspace (and what is derived from them), when the account
   * whose personal workspace it is, or the last member of a team workspace, is deleted
   * (auth/account-deletion.ts). Absent: the records live in the relational database,
   * whose foreign keys remove them with the workspace.
   */
  eraseWorkspace?(workspaceId: string): Promise<void>;
}

/**
 * The batches of one upload. Records are stored by each `insert` (duplicates counted as by
 * `UsageStore.insert`); what is derived from them may lag until `finish`, which the ingester
 * calls once at the end, after a failure or a stop too, so that whatever was stored is
 * complete. Each store says how long the lag can be.
 */
export interface UsageIngestSession {
  insert(records: PricedUsageRecord[]): Promise<{ inserted: number; duplicates: number }>;
  /** As `insert`, for rows prepared in the store's `rowForm`. */
  insertRows(rows: UsageRows): Promise<{ inserted: number; duplicates: number }>;
  finish(): Promise<void>;
}

/**
 * How long a provider keeps a cached prompt prefix after its last use (OpenAI, and Anthropic's
 * default `ephemeral` cache: 5 minutes, refreshed by every hit). Stores count cold starts with it.
 */
export const CACHE_TTL_MS = 5 * 60_000;

export interface TimeRange {
  /** Inclusive ISO time. */
  from?: string;
  /** Exclusive ISO time. */
  to?: string;
}

export interface PricedUsageRecord {
  record: UsageRecord;
  /** Idempotency key: the record's id, else a content hash. */
  key: string;
  /** USD from the catalog at the record's time, or null when the model is unknown to it. */
  costUsd: number | null;
}

/** See `UsageStore.versionedOverview`; the version is null when no usage was ever stored. */
export interface VersionedOverview {
  overview: UsageOverview;
  version: string | null;
}

/** What the analysis reads of one range (see `UsageStore.analysisReads`). */
export interface AnalysisReads {
  rows: UsageAggregateRow[];
  prefixStats: PrefixStatRow[];
  outputStats: OutputStatRow[];
}

export interface UsageOverview {
  records: number;
  /** First and last call time (ISO), null when there are no records. */
  from: string | null;
  to: string | null;
  models: string[];
}

export interface UsageAggregateRow {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  provider: string | null;
  model: string;
  project: string;
  feature: string;
  status: 'ok' | 'error' | 'timeout';
  interactive: boolean;
  batch: boolean;
  requests: number;
  /** Requests with attempt > 1: retries. */
  retries: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: number;
  /** 1-hour cache writes. */
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Sum of cost over priced requests, USD. */
  costUsd: number;
  /** Requests whose model the catalog did not know. */
  unpricedRequests: number;
  latencyMsSum: number;
  latencyCount: number;
  /**
   * The first and last call of the row (epoch ms): projections scale from the hours the data
   * really covers, not from calendar days. Every store sets them; optional only so rows built by
   * hand in tests need not (the row's UTC day then stands for them).
   */
  firstMs?: number;
  lastMs?: number;
}

export interface PrefixStatRow {
  model: string;
  provider: string | null;
  project: string;
  feature: string;
  promptPrefixHash: string;
  requests: number;
  /** Sum of prefixTokens over those requests. */
  prefixTokens: number;
  cacheReadTokens: number;
  /**
   * Sum of cacheWriteTokens over those requests: prefix tokens already written to a cache are
   * billed at the write price, not as plain input. Both stores set it; optional only so rows
   * built by hand in tests need not.
   */
  cacheWriteTokens?: number;
  /** Sum of cacheWrite1hTokens over those requests (written to a 1-hour cache); optional as above. */
  cacheWrite1hTokens?: number;
  /**
   * Calls that came with a cold cache: the first call with the prefix, and every call more than
   * CACHE_TTL_MS after the previous call with it. With caching on, each of them would write the
   * cache and every other call would read it. Both stores set it; optional as above.
   */
  coldStarts?: number;
  /** Calls made with the same prefix, per day, averaged: how often the prefix repeats. */
  days: number;
  /**
   * Distinct UTC days on which the prefix was sent (`requests / activeDays` = `days`). Both stores
   * always set it; optional only so rows built by hand in tests need not.
   */
  activeDays?: number;
}

export interface OutputStatRow {
  model: string;
  provider: string | null;
  project: string;
  feature: string;
  requests: number;
  /** Requests that set a max output limit, and the limit's mean over them. */
  limitedRequests: number;
  meanMaxOutputTokens: number;
  p50OutputTokens: number;
  p99OutputTokens: number;
  maxOutputTokensSeen: number;
}
