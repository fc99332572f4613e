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
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** sha256 of the refresh token; the token itself is never stored. */
  refresh_token_hash: string;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ThreadsTable {
  id: string;
  owner_id: string;
  title: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
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
  owner_id: string;
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
  cache_write_tokens: number;
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

export interface Database {
  server_settings: ServerSettingsTable;
  users: UsersTable;
  sessions: SessionsTable;
  threads: ThreadsTable;
  messages: MessagesTable;
  runs: RunsTable;
  run_events: RunEventsTable;
  run_checkpoints: RunCheckpointsTable;
  usage_records: UsageRecordsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ThreadRow = Selectable<ThreadsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type RunRow = Selectable<RunsTable>;
export type RunEventRow = Selectable<RunEventsTable>;
export type NewUsageRecordRow = Insertable<UsageRecordsTable>;
