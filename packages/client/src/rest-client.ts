import {
  type AnswerFeedback,
  AnswerFeedbackListSchema,
  AnswerFeedbackSchema,
  type ApiKey,
  ApiKeyListSchema,
  type AuthResponse,
  AuthResponseSchema,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  CreatedApiKeySchema,
  type Credentials,
  type Health,
  HealthSchema,
  type IngestSummary,
  IngestSummarySchema,
  type Message,
  MessageListSchema,
  OtherSessionsRevokedSchema,
  PasswordResetDoneSchema,
  type PriceList,
  PriceListQuerySchema,
  PriceListSchema,
  type RevokedApiKey,
  RevokedApiKeySchema,
  type Run,
  type RunEvent,
  RunEventListSchema,
  RunEventsQuerySchema,
  RunSchema,
  type SessionInfo,
  SessionListSchema,
  StopRunAckDataSchema,
  type SetAnswerFeedbackRequest,
  type SignupRequest,
  type Thread,
  type ThreadListQuery,
  ThreadListQuerySchema,
  ThreadListSchema,
  ThreadSchema,
  type TicketResponse,
  TicketResponseSchema,
  type UsageCallFilters,
  usageCallQuery,
  type UsageCallStats,
  UsageCallStatsQuerySchema,
  UsageCallStatsSchema,
  type UsageDashboard,
  type UsageDashboardFilters,
  usageDashboardQuery,
  UsageDashboardQuerySchema,
  UsageDashboardSchema,
  type UsageOverview,
  UsageOverviewSchema,
  type UsageRequestPage,
  UsageRequestPageSchema,
  UsageRequestsQuerySchema,
  type UsageUploadQuery,
  UsageUploadQuerySchema,
  type User,
  UserSchema,
} from '@tally/protocol';
import { apiQuery } from './api-query.js';
import { adminClient, type AdminClient } from './admin-client.js';
import { TallyApiError } from './errors.js';
import { createSender, EmptySchema, type RestClientOptions } from './request-sender.js';
import { workspaceClient, type WorkspaceClient } from './workspace-client.js';
import { connectorClient, type ConnectorClient } from './connector-client.js';
import { reconciliationClient, type ReconciliationClient } from './reconciliation-client.js';

export type { AccessTokenProvider, RestClientOptions } from './request-sender.js';
export type { AdminClient } from './admin-client.js';
export type { WorkspaceClient } from './workspace-client.js';
export type { ConnectorClient } from './connector-client.js';
export type { ReconciliationClient } from './reconciliation-client.js';

/** Body accepted by `uploadUsage`: NDJSON text or bytes. */
export type UsageUploadBody = string | Uint8Array | Blob;

/** Typed calls for every REST route of the protocol; every answer is parsed with its schema. */
export interface RestClient {
  health(): Promise<Health>;
  signup(credentials: SignupRequest): Promise<AuthResponse>;
  login(credentials: Credentials): Promise<AuthResponse>;
  /** Without a token, the browser's httpOnly `tally_refresh` cookie is used. */
  refresh(refreshToken?: string): Promise<AuthResponse>;
  /** Ends the session of the token (or of the cookie); never fails for an unknown one. */
  logout(refreshToken?: string): Promise<void>;
  /** A single-use ticket for the WebSocket upgrade (`/v1/ws?ticket=`). */
  createWsTicket(): Promise<TicketResponse>;
  /**
   * The caller's threads in the workspace and those other members shared there, newest first;
   * with `q`, only threads whose title or any message contains it (case-insensitive).
   */
  listThreads(workspaceId: string, query?: ThreadListQuery): Promise<Thread[]>;
  /** One thread the caller may read (theirs, or shared in the workspace). */
  getThread(workspaceId: string, threadId: string): Promise<Thread>;
  /** Title trimmed, 1–200 characters; the author only. */
  renameThread(workspaceId: string, threadId: string, title: string): Promise<Thread>;
  /** Stops the thread's runs and removes it with its messages and runs; the author only. */
  deleteThread(workspaceId: string, threadId: string): Promise<void>;
  /** The author shares the thread with the workspace (read-only for the others), or stops sharing it. */
  setThreadSharing(workspaceId: string, threadId: string, shared: boolean): Promise<Thread>;
  listMessages(workspaceId: string, threadId: string): Promise<Message[]>;
  /** Sets or replaces the caller's thumbs up/down (and note) on a finished run's answer (their own runs). */
  setAnswerFeedback(workspaceId: string, runId: string, feedback: SetAnswerFeedbackRequest): Promise<AnswerFeedback>;
  deleteAnswerFeedback(workspaceId: string, runId: string): Promise<void>;
  /** The caller's ratings of the answers in a thread. */
  threadFeedback(workspaceId: string, threadId: string): Promise<AnswerFeedback[]>;
  getRun(workspaceId: string, runId: string): Promise<Run>;
  /** One page of a run's event log: events with seq > afterSeq, at most `limit` of them. */
  listRunEvents(workspaceId: string, runId: string, query?: { afterSeq?: number; limit?: number }): Promise<RunEvent[]>;
  /** The whole log after `afterSeq`, fetched page by page. */
  listAllRunEvents(workspaceId: string, runId: string, afterSeq?: number): Promise<RunEvent[]>;
  /** Asks the run to stop (its author only); `running` means the stop is on its way. */
  stopRun(workspaceId: string, runId: string): Promise<{ status: Run['status'] }>;
  /**
   * Uploads usage in any format the server reads; `format` skips detection, `mapping` (JSON text)
   * maps CSV columns to record fields.
   */
  uploadUsage(workspaceId: string, ndjson: UsageUploadBody, query?: { format?: UsageUploadQuery['format']; mapping?: string }): Promise<IngestSummary>;
  /**
   * A new API key of the workspace (its admins and owners): `key` is in this answer only. It acts
   * as its maker in that workspace only. Needs a signed-in person (an API key cannot manage keys).
   */
  createApiKey(workspaceId: string, request: CreateApiKeyRequest): Promise<CreatedApiKey>;
  /** The workspace's keys, each with who made it. */
  listApiKeys(workspaceId: string): Promise<ApiKey[]>;
  revokeApiKey(workspaceId: string, keyId: string): Promise<RevokedApiKey>;
  /** Sets a new password with the one-time token an admin issued. */
  resetPassword(token: string, password: string): Promise<void>;
  /** The signed-in user. */
  me(): Promise<User>;
  /** displayName trimmed, at most 80 characters; null (or blank) clears it. */
  updateProfile(change: { displayName: string | null }): Promise<User>;
  /** The user's signed-in devices; `current` marks this one. */
  listSessions(): Promise<SessionInfo[]>;
  /** Signs a device out (its tokens and sockets stop working). */
  revokeSession(sessionId: string): Promise<void>;
  /** Ends every session of the user but this one ("sign out all other sessions"); how many ended. */
  revokeOtherSessions(): Promise<number>;
  /** Ends every other session of the user. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /** Deletes the user's own account and everything of it, for good (the password again, as the server asks). */
  deleteAccount(password: string): Promise<void>;
  usageOverview(workspaceId: string): Promise<UsageOverview>;
  /** Sums of the workspace's usage for the usage page; `from` inclusive, `to` exclusive (ISO times). */
  usageDashboard(workspaceId: string, filters?: UsageDashboardFilters): Promise<UsageDashboard>;
  /** One page of the workspace's calls matching the filters, newest first, with how many match. */
  usageRequests(workspaceId: string, filters?: UsageCallFilters, page?: { limit?: number; offset?: number }): Promise<UsageRequestPage>;
  /** Latency p50/p95 per model and spend per user label over the calls matching the filters. */
  usageCallStats(workspaceId: string, filters?: UsageCallFilters): Promise<UsageCallStats>;
  /** Each model of the user's usage (and every override, and `model` if given) at the price billed now, with its source. */
  priceList(model?: string): Promise<PriceList>;
  /** Admin only (AUTH_FORBIDDEN otherwise): the routes under /v1/admin. */
  admin: AdminClient;
  /** Workspaces, their members and invitations (/v1/workspaces); a signed-in person, not an API key. */
  workspaces: WorkspaceClient;
  /** A workspace's provider connectors: admin keys, sync status, sync now (issue 18). */
  connectors: ConnectorClient;
  /** Computed versus billed and the source of totals, per workspace (issue 18). */
  reconciliation: ReconciliationClient;
}



const PAGE_SIZE = 1000;

export function createRestClient(options: RestClientOptions): RestClient {
  const send = createSender(options);


  /** The path of a workspace's thread or run resource. */
  const inWorkspace = (workspaceId: string, rest: string) => `/v1/workspaces/${encodeURIComponent(workspaceId)}/${rest}`;
  const threadPath = (workspaceId: string, threadId: string, tail = '') => inWorkspace(workspaceId, `threads/${encodeURIComponent(threadId)}${tail}`);
  const runPath = (workspaceId: string, runId: string, tail = '') => inWorkspace(workspaceId, `runs/${encodeURIComponent(runId)}${tail}`);

  const listRunEvents: RestClient['listRunEvents'] = async (workspaceId, runId, query = {}) => {
    const page = await send({
      method: 'GET',
      path: `${runPath(workspaceId, runId, '/events')}${apiQuery(RunEventsQuerySchema, { afterSeq: query.afterSeq ?? 0, limit: query.limit })}`,
      schema: RunEventListSchema,
      auth: true,
    });
    return page.events;
  };

  return {
    health: () => send({ method: 'GET', path: '/v1/health', schema: HealthSchema, auth: false }),
    signup: (credentials) =>
      send({ method: 'POST', path: '/v1/auth/signup', schema: AuthResponseSchema, auth: false, json: credentials }),
    login: (credentials) =>
      send({ method: 'POST', path: '/v1/auth/login', schema: AuthResponseSchema, auth: false, json: credentials }),
    refresh: (refreshToken) =>
      send({
        method: 'POST',
        path: '/v1/auth/refresh',
        schema: AuthResponseSchema,
        auth: false,
        json: refreshToken ? { refreshToken } : {},
      }),
    logout: async (refreshToken) => {
      await send({ method: 'POST', path: '/v1/auth/logout', schema: EmptySchema, auth: false, json: refreshToken ? { refreshToken } : {} });
    },
    createWsTicket: () =>
      send({ method: 'POST', path: '/v1/ws-tickets', schema: TicketResponseSchema, auth: true, json: {} }),
    listThreads: async (workspaceId, query = {}) =>
      (await send({ method: 'GET', path: `${inWorkspace(workspaceId, 'threads')}${apiQuery(ThreadListQuerySchema, { q: query.q })}`, schema: ThreadListSchema, auth: true })).threads,
    getThread: (workspaceId, threadId) => send({ method: 'GET', path: threadPath(workspaceId, threadId), schema: ThreadSchema, auth: true }),
    renameThread: (workspaceId, threadId, title) =>
      send({ method: 'PATCH', path: threadPath(workspaceId, threadId), schema: ThreadSchema, auth: true, json: { title } }),
    deleteThread: async (workspaceId, threadId) => {
      await send({ method: 'DELETE', path: threadPath(workspaceId, threadId), schema: EmptySchema, auth: true });
    },
    setThreadSharing: (workspaceId, threadId, shared) =>
      send({ method: 'PUT', path: threadPath(workspaceId, threadId, '/sharing'), schema: ThreadSchema, auth: true, json: { shared } }),
    listMessages: async (workspaceId, threadId) =>
      (await send({ method: 'GET', path: threadPath(workspaceId, threadId, '/messages'), schema: MessageListSchema, auth: true })).messages,
    getRun: (workspaceId, runId) => send({ method: 'GET', path: runPath(workspaceId, runId), schema: RunSchema, auth: true }),
    stopRun: (workspaceId, runId) => send({ method: 'POST', path: runPath(workspaceId, runId, '/stop'), schema: StopRunAckDataSchema.pick({ status: true }), auth: true, json: {} }),
    setAnswerFeedback: (workspaceId, runId, feedback) =>
      send({ method: 'PUT', path: runPath(workspaceId, runId, '/feedback'), schema: AnswerFeedbackSchema, auth: true, json: feedback }),
    deleteAnswerFeedback: async (workspaceId, runId) => {
      await send({ method: 'DELETE', path: runPath(workspaceId, runId, '/feedback'), schema: EmptySchema, auth: true });
    },
    threadFeedback: async (workspaceId, threadId) =>
      (await send({ method: 'GET', path: threadPath(workspaceId, threadId, '/feedback'), schema: AnswerFeedbackListSchema, auth: true })).feedback,
    listRunEvents,
    listAllRunEvents: async (workspaceId, runId, afterSeq = 0) => {
      const all: RunEvent[] = [];
      let cursor = afterSeq;
      // Bounded by the log's length: every page moves the cursor forward or ends the loop.
      for (;;) {
        const page = await listRunEvents(workspaceId, runId, { afterSeq: cursor, limit: PAGE_SIZE });
        all.push(...page);
        const last = page.at(-1);
        if (page.length < PAGE_SIZE || !last || last.seq <= cursor) return all;
        cursor = last.seq;
      }
    },
    uploadUsage: async (workspaceId, ndjson, query = {}) =>
      send({
        method: 'POST',
        path: `${inWorkspace(workspaceId, 'usage')}${apiQuery(UsageUploadQuerySchema, { format: query.format, mapping: query.mapping })}`,
        schema: IngestSummarySchema,
        auth: true,
        body: ndjson as BodyInit,
        contentType: 'application/x-ndjson',
      }).catch((error: unknown) => {
        // The server answers 400 with the summary itself when every line was refused: that
        // summary (which lines, why) is the useful answer, so hand it back.
        const summary = ingestSummaryOfError(error);
        if (summary) return summary;
        throw error;
      }),
    createApiKey: (workspaceId, request) => send({ method: 'POST', path: inWorkspace(workspaceId, 'api-keys'), schema: CreatedApiKeySchema, auth: true, json: request }),
    listApiKeys: async (workspaceId) => (await send({ method: 'GET', path: inWorkspace(workspaceId, 'api-keys'), schema: ApiKeyListSchema, auth: true })).apiKeys,
    revokeApiKey: (workspaceId, keyId) =>
      send({ method: 'DELETE', path: inWorkspace(workspaceId, `api-keys/${encodeURIComponent(keyId)}`), schema: RevokedApiKeySchema, auth: true }),
    resetPassword: async (token, password) => {
      await send({ method: 'POST', path: '/v1/auth/reset-password', schema: PasswordResetDoneSchema, auth: false, json: { token, password } });
    },
    me: () => send({ method: 'GET', path: '/v1/me', schema: UserSchema, auth: true }),
    updateProfile: (change) => send({ method: 'PATCH', path: '/v1/me', schema: UserSchema, auth: true, json: change }),
    listSessions: async () => (await send({ method: 'GET', path: '/v1/sessions', schema: SessionListSchema, auth: true })).sessions,
    revokeSession: async (sessionId) => {
      await send({ method: 'DELETE', path: `/v1/sessions/${encodeURIComponent(sessionId)}`, schema: EmptySchema, auth: true });
    },
    revokeOtherSessions: async () => (await send({ method: 'DELETE', path: '/v1/sessions', schema: OtherSessionsRevokedSchema, auth: true })).revoked,
    changePassword: async (currentPassword, newPassword) => {
      await send({ method: 'POST', path: '/v1/me/password', schema: EmptySchema, auth: true, json: { currentPassword, newPassword } });
    },
    deleteAccount: async (password) => {
      await send({ method: 'DELETE', path: '/v1/me', schema: EmptySchema, auth: true, json: { password } });
    },
    usageOverview: (workspaceId) => send({ method: 'GET', path: inWorkspace(workspaceId, 'usage/overview'), schema: UsageOverviewSchema, auth: true }),
    usageRequests: async (workspaceId, filters = {}, page = {}) =>
      send({ method: 'GET', path: `${inWorkspace(workspaceId, 'usage/requests')}${apiQuery(UsageRequestsQuerySchema, usageCallQuery(filters, page))}`, schema: UsageRequestPageSchema, auth: true }),
    usageCallStats: async (workspaceId, filters = {}) => {
      const { limit: _limit, offset: _offset, ...query } = usageCallQuery(filters);
      return send({ method: 'GET', path: `${inWorkspace(workspaceId, 'usage/call-stats')}${apiQuery(UsageCallStatsQuerySchema, query)}`, schema: UsageCallStatsSchema, auth: true });
    },
    usageDashboard: async (workspaceId, filters = {}) =>
      send({
        method: 'GET',
        path: `${inWorkspace(workspaceId, 'usage/dashboard')}${apiQuery(UsageDashboardQuerySchema, usageDashboardQuery(filters))}`,
        schema: UsageDashboardSchema,
        auth: true,
      }),
    priceList: async (model) => send({ method: 'GET', path: `/v1/prices${apiQuery(PriceListQuerySchema, { model: model || undefined })}`, schema: PriceListSchema, auth: true }),
    admin: adminClient(send),
    workspaces: workspaceClient(send),
    connectors: connectorClient(send),
    reconciliation: reconciliationClient(send),
  };
}



/** The ingest summary carried by a 400 answer to an upload whose every line was refused. */
export function ingestSummaryOfError(error: unknown): IngestSummary | undefined {
  if (!(error instanceof TallyApiError) || error.status !== 400) return undefined;
  const parsed = IngestSummarySchema.safeParse(error.details);
  return parsed.success ? parsed.data : undefined;
}

