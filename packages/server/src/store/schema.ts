import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The relational schema, as Kysely sees it. Migrations in ./migrations create exactly this; every
 * query is typed against it, so a wrong column fails to compile.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  role: 'admin' | 'member';
  created_at: Generated<Date>;
  /** Set while an admin has the account disabled (see http/authenticate.ts). */
  disabled_at: Timestamp | null;
  /** The name the user chose to be shown by (PATCH /v1/me); null when unset. */
  display_name: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A signed-in device: what the user sees in their session list and can revoke. */
export interface AuthSessionsTable {
  id: string;
  user_id: string;
  /** The User-Agent it signed in with, shortened. */
  device: string;
  ip: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

/** One refresh token of a session; each is good for one use, then replaced by the next. */
export interface RefreshTokensTable {
  id: string;
  user_id: string;
  session_id: string;
  /** sha256 of the refresh token; the token itself is never stored. */
  refresh_token_hash: string;
  expires_at: Timestamp;
  /** Set when the token was traded for the next one; a second use is a replay. */
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ThreadsTable {
  id: string;
  /** Its author: the only one who writes to it. */
  owner_id: string;
  /** The workspace it belongs to (migration 0015): its runs analyse that workspace's data only. */
  workspace_id: string;
  /** When its author shared it with the workspace (read-only for the other members); null: personal. */
  shared_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  title: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Set when the user deleted it: hidden at once, removed once its runs ended (threads/thread-deletion.ts). */
  deleted_at: Timestamp | null;
}

export interface MessagesTable {
  id: string;
  owner_id: string;
  thread_id: string;
  role: 'user' | 'assistant';
  content: string;
  run_id: string | null;
  created_at: Generated<Date>;
}

export interface RunsTable {
  id: string;
  /** Who asked: the thread's author. */
  owner_id: string;
  /** Its thread's workspace (migration 0015): the data its agents analyse. */
  workspace_id: string;
  thread_id: string;
  /** The user message that started it. */
  message_id: string;
  /** The command id that created it: a resend with the same id finds this run. */
  client_command_id: string | null;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  last_seq: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  cancel_requested: Generated<boolean>;
  created_at: Generated<Date>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** W3C traceparent of the request that queued it; the claiming node's run span continues it. */
  traceparent: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RunEventsTable {
  run_id: string;
  seq: number;
  type: string;
  /** JSON of the event data. */
  data: ColumnType<unknown, string, string>;
  ts: Timestamp;
}

export interface RunCheckpointsTable {
  run_id: string;
  /** JSON: the value of each completed agent step, by agent name. */
  steps: ColumnType<unknown, string, string>;
  /** The run's last seq when the checkpoint was written. */
  seq: number;
  updated_at: Generated<Date>;
}

export interface UsageRecordsTable {
  id: Generated<string>;
  /** The workspace that owns the record (migration 0015; a personal workspace's id is its person's). */
  owner_id: string;
  /** The record's id, or a hash of its content: unique per owner, so re-ingestion adds nothing. */
  record_key: string;
  ts: Timestamp;
  provider: string | null;
  model: string;
  project: string;
  feature: string;
  end_user: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  /** 5-minute (or unknown-duration) cache writes; every row from before migration 0010. */
  cache_write_tokens: number;
  /** 1-hour cache writes (migration 0010). */
  cache_write_1h_tokens: Generated<number>;
  reasoning_tokens: number | null;
  latency_ms: number | null;
  status: 'ok' | 'error' | 'timeout';
  interactive: boolean;
  batch: boolean;
  max_output_tokens: number | null;
  prompt_prefix_hash: string | null;
  prefix_tokens: number | null;
  attempt: number;
  source_cost_usd: number | null;
  /** Tally's own price for the call, from the catalog at the call's time; null when unpriced. */
  cost_usd: number | null;
  ingested_at: Generated<Date>;
}

export interface ServerSettingsTable {
  key: string;
  value: string;
}

/** An admin's price for a model (see pricing/price-settings.ts). */
export interface PriceOverridesTable {
  id: string;
  /** Lower-cased and trimmed. */
  model: string;
  /** Lower-cased provider id, or '' for any provider. */
  provider: Generated<string>;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok: number | null;
  cache_write_per_mtok: number | null;
  updated_at: Generated<Date>;
}

/** A negotiated discount on a provider's catalog prices, in percent. */
export interface PriceDiscountsTable {
  provider: string;
  percent: number;
  updated_at: Generated<Date>;
}

/** An account at an OpenID Connect provider, linked to a Tally user (see auth/oidc-accounts.ts). */
export interface OidcIdentitiesTable {
  issuer: string;
  /** The provider's stable id of the person (`sub`). */
  subject: string;
  user_id: string;
  /** The verified email the identity was linked with. */
  email: string;
  created_at: Generated<Date>;
  last_login_at: Generated<Date>;
}

/** A user's API key; only its sha256 is stored (see auth/api-keys.ts). */
export interface ApiKeysTable {
  id: string;
  /** Who made it: the key acts as this person, inside its workspace only. */
  owner_id: string;
  /** The workspace it works in (migration 0015). */
  workspace_id: string;
  name: string;
  /** JSON array of ApiKeyScope. */
  scopes: ColumnType<unknown, string, string>;
  prefix: string;
  key_hash: string;
  created_at: Generated<Date>;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A one-time password reset an admin issued (see auth/password-resets.ts). */
export interface PasswordResetsTable {
  id: string;
  user_id: string;
  /** sha256 of the token. */
  token_hash: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_by: string | null;
  created_at: Generated<Date>;
}

/** The audit log of security events (see audit/audit-log.ts). */
export interface AuditEventsTable {
  /** bigserial: read back as a string. */
  id: Generated<string>;
  at: Generated<Date>;
  actor_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  /** JSON object. */
  details: ColumnType<unknown, string, string>;
  /** The workspace the event belongs to (migration 0013): its owners and admins read it there. */
  workspace_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The admin's LLM configuration, one row (id 1) or none (see llm/llm-settings.ts). */
export interface LlmSettingsTable {
  id: number;
  provider: 'offline' | 'openai-compatible' | 'anthropic';
  base_url: string | null;
  model: string | null;
  api_key: string | null;
  timeout_ms: number;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export interface Database {
  server_settings: ServerSettingsTable;
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  threads: ThreadsTable;
  messages: MessagesTable;
  runs: RunsTable;
  run_events: RunEventsTable;
  run_checkpoints: RunCheckpointsTable;
  usage_records: UsageRecordsTable;
  price_overrides: PriceOverridesTable;
  price_discounts: PriceDiscountsTable;
  oidc_identities: OidcIdentitiesTable;
  api_keys: ApiKeysTable;
  password_resets: PasswordResetsTable;
  audit_events: AuditEventsTable;
  llm_settings: LlmSettingsTable;
  price_catalog_data: PriceCatalogDataTable;
  reprice_jobs: RepriceJobsTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  workspace_invitations: WorkspaceInvitationsTable;
  answer_feedback: AnswerFeedbackTable;
  provider_connections: ProviderConnectionsTable;
  provider_billing_buckets: ProviderBillingBucketsTable;
  workspace_usage_sources: WorkspaceUsageSourcesTable;
}

export type UserRow = Selectable<UsersTable>;
export type ThreadRow = Selectable<ThreadsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type RunRow = Selectable<RunsTable>;
export type RunEventRow = Selectable<RunEventsTable>;
export type NewUsageRecordRow = Insertable<UsageRecordsTable>;

/** A genai-prices data file an admin loaded, one row (id 1) or none (see pricing/catalog-data-store.ts). */
export interface PriceCatalogDataTable {
  id: number;
  version: string;
  sha256: string;
  /** The file's JSON text, as loaded (key order is part of the price). */
  data: string;
  providers: number;
  models: number;
  loaded_by: string | null;
  loaded_at: Generated<Date>;
}

/** A preview or an application of a re-pricing of stored records (see pricing/reprice-jobs.ts). */
export interface RepriceJobsTable {
  id: string;
  kind: 'preview' | 'apply';
  status: 'running' | 'done' | 'failed';
  started_by: string | null;
  preview_id: string | null;
  prices_fingerprint: string;
  rows_total: Generated<number>;
  rows_done: Generated<number>;
  rows_changed: Generated<number>;
  /** JSON of the per-model totals, once done. */
  result: string | null;
  error: string | null;
  created_at: Generated<Date>;
  heartbeat_at: Generated<Date>;
  finished_at: Timestamp | null;
}

/** A user's rating of the answer of one of their runs (migration 0014; threads/answer-feedback.ts). */
export interface AnswerFeedbackTable {
  run_id: string;
  owner_id: string;
  rating: 'up' | 'down';
  note: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A workspace (migration 0013, see workspaces/workspace-service.ts). */
export interface WorkspacesTable {
  id: string;
  name: string;
  /** The user whose personal workspace it is (made at sign-up); null for a team's. */
  personal_of: string | null;
  created_at: Generated<Date>;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
  joined_at: Generated<Date>;
}

/** A single-use invitation; only the sha256 of its token is stored. */
export interface WorkspaceInvitationsTable {
  id: string;
  workspace_id: string;
  role: 'admin' | 'member' | 'viewer';
  /** The only address that may accept it; null: whoever holds the link. */
  email: string | null;
  token_hash: string;
  created_by: string | null;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
  revoked_at: Timestamp | null;
}

/** A workspace's connection to a provider's admin usage/cost API (migration 0016, connectors/). */
export interface ProviderConnectionsTable {
  id: string;
  workspace_id: string;
  provider: 'openai' | 'anthropic';
  /** The admin key, AES-256-GCM encrypted (connectors/admin-key-cipher.ts); never returned. */
  admin_key_ciphertext: string;
  /** The key's last 4 characters, what the web app shows. */
  key_hint: string | null;
  backfill_days: Generated<number>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  last_sync_started_at: Timestamp | null;
  last_sync_finished_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_error: string | null;
  last_error_at: Timestamp | null;
  /** End of the last complete UTC day fetched. */
  synced_through: Timestamp | null;
  next_sync_at: ColumnType<Date, Date | string | undefined, Date | string>;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  /** Set by "sync now"; cleared by the sync that honours it. */
  sync_requested_at: Timestamp | null;
}

/** Int8 columns: written as numbers, read as strings (pg) — readers cast or Number() them. */
type Count = ColumnType<string | number, number | undefined, number>;

/** A provider's own aggregated figure (migration 0016; connectors/billing-bucket-store.ts). */
export interface ProviderBillingBucketsTable {
  workspace_id: string;
  provider: 'openai' | 'anthropic';
  kind: 'usage' | 'cost';
  bucket_width: '1h' | '1d';
  bucket_start: Timestamp;
  model: Generated<string>;
  project_id: Generated<string>;
  api_key_id: Generated<string>;
  batch: ColumnType<'true' | 'false' | '', 'true' | 'false' | '' | undefined, 'true' | 'false' | ''>;
  service_tier: Generated<string>;
  line_item: Generated<string>;
  requests: Count;
  input_tokens: Count;
  output_tokens: Count;
  cache_read_tokens: Count;
  cache_write_tokens: Count;
  cost_usd: number | null;
  currency: Generated<string>;
  fetched_at: Timestamp;
}

/** Which source is authoritative for a provider's totals in a workspace; no row = auto (migration 0016). */
export interface WorkspaceUsageSourcesTable {
  workspace_id: string;
  provider: string;
  authoritative: 'requests' | 'billing';
  updated_by: string | null;
  updated_at: Generated<Date>;
}
