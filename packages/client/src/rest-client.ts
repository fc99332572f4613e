import {
  CreatedInvitationSchema,
  WorkspaceInvitationListSchema,
  WorkspaceInvitationSchema,
  WorkspaceListSchema,
  WorkspaceMemberListSchema,
  WorkspaceMemberSchema,
  WorkspaceSchema,
  type CreateInvitationRequest,
  type CreatedInvitation,
  type Workspace,
  type WorkspaceInvitation,
  type WorkspaceMember,
  type WorkspaceRole,
} from '@tally/protocol';
import {
  AdminAnswerFeedbackListSchema,
  AdminFeedbackQuerySchema,
  AnswerFeedbackListSchema,
  AnswerFeedbackSchema,
  type AdminAnswerFeedback,
  type AdminFeedbackQuery,
  type AnswerFeedback,
  type SetAnswerFeedbackRequest,
} from '@tally/protocol';
import {
  CatalogSourceSchema,
  LoadCatalogQuerySchema,
  PriceListQuerySchema,
  PriceListSchema,
  RepriceJobSchema,
  type CatalogSource,
  type PriceList,
  type RepriceJob,
} from '@tally/protocol';
import {
  AuditQuerySchema,
  RemovePriceOverrideQuerySchema,
  RunEventsQuerySchema,
  ThreadListQuerySchema,
  UsageDashboardQuerySchema,
  UsageUploadQuerySchema,
  usageDashboardQuery,
  usageCallQuery,
  UsageCallStatsQuerySchema,
  UsageCallStatsSchema,
  UsageRequestPageSchema,
  UsageRequestsQuerySchema,
  type UsageCallFilters,
  type UsageCallStats,
  type UsageRequestPage,
  type ThreadListQuery,
  type UsageUploadQuery,
  AdminUserListSchema,
  AdminUserSchema,
  CreatedUserSchema,
  ApiKeyListSchema,
  AuditPageSchema,
  CreatedApiKeySchema,
  LlmSettingsSchema,
  LlmConnectionTestSchema,
  type LlmConnectionTest,
  PasswordResetDoneSchema,
  PasswordResetIssuedSchema,
  PriceSettingsSchema,
  RevokedApiKeySchema,
  type AdminUser,
  type ApiKey,
  type AuditPage,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  type LlmSettings,
  type PasswordResetIssued,
  type PriceOverrideDto,
  type PriceSettingsDto,
  type RevokedApiKey,
  type UpdateLlmSettingsRequest,
  type UpdateUserRequest,
  type CreateUserRequest,
  type CreatedUser,
  AuthResponseSchema,
  HealthSchema,
  OtherSessionsRevokedSchema,
  SessionListSchema,
  ThreadSchema,
  UsageDashboardSchema,
  UsageOverviewSchema,
  UserSchema,
  type SessionInfo,
  type UsageDashboard,
  type UsageDashboardFilters,
  type UsageOverview,
  type User,
  IngestSummarySchema,
  MessageListSchema,
  RunEventListSchema,
  RunSchema,
  ThreadListSchema,
  TicketResponseSchema,
  type AuthResponse,
  type Credentials,
  type SignupRequest,
  type Health,
  type IngestSummary,
  type Message,
  type Run,
  type RunEvent,
  type Thread,
  type TicketResponse,
} from '@tally/protocol';
import { z } from 'zod';
import { apiQuery } from './api-query.js';
import { TallyApiError, TallyTimeoutError, apiErrorFromResponse } from './errors.js';

/** Gives the current access token, or undefined when signed out; may refresh it first. */
export type AccessTokenProvider = () => string | undefined | Promise<string | undefined>;

export interface RestClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080`; '' means relative URLs (same origin, browser). */
  baseUrl: string;
  /** Called before every authenticated request. */
  getAccessToken?: AccessTokenProvider;
  /**
   * Called once when an authenticated request answers 401; resolve true after refreshing the
   * token to have the request retried once with the new one.
   */
  onUnauthorized?: () => Promise<boolean>;
  /** Defaults to the global fetch (Node 20 and browsers). */
  fetch?: typeof fetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Sent as User-Agent by programs (the CLI names itself); browsers send their own. */
  userAgent?: string;
}

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
  /** Newest first; with `q`, only threads whose title or any message contains it (case-insensitive). */
  listThreads(query?: ThreadListQuery): Promise<Thread[]>;
  /** Title trimmed, 1–200 characters. */
  renameThread(threadId: string, title: string): Promise<Thread>;
  /** Stops the thread's runs and removes it with its messages and runs. */
  deleteThread(threadId: string): Promise<void>;
  listMessages(threadId: string): Promise<Message[]>;
  /** Sets or replaces the caller's thumbs up/down (and note) on a finished run's answer. */
  setAnswerFeedback(runId: string, feedback: SetAnswerFeedbackRequest): Promise<AnswerFeedback>;
  deleteAnswerFeedback(runId: string): Promise<void>;
  /** The caller's ratings of the answers in a thread. */
  threadFeedback(threadId: string): Promise<AnswerFeedback[]>;
  getRun(runId: string): Promise<Run>;
  /** One page of a run's event log: events with seq > afterSeq, at most `limit` of them. */
  listRunEvents(runId: string, query?: { afterSeq?: number; limit?: number }): Promise<RunEvent[]>;
  /** The whole log after `afterSeq`, fetched page by page. */
  listAllRunEvents(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  /**
   * Uploads usage in any format the server reads; `format` skips detection, `mapping` (JSON text)
   * maps CSV columns to record fields.
   */
  uploadUsage(ndjson: UsageUploadBody, query?: { format?: UsageUploadQuery['format']; mapping?: string }): Promise<IngestSummary>;
  /** A new API key: `key` is in this answer only. Needs a signed-in user (an API key cannot manage keys). */
  createApiKey(request: CreateApiKeyRequest): Promise<CreatedApiKey>;
  listApiKeys(): Promise<ApiKey[]>;
  revokeApiKey(keyId: string): Promise<RevokedApiKey>;
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
  usageOverview(): Promise<UsageOverview>;
  /** Sums for the usage page; `from` inclusive, `to` exclusive (ISO times). */
  usageDashboard(filters?: UsageDashboardFilters): Promise<UsageDashboard>;
  /** One page of the user's calls matching the filters, newest first, with how many match. */
  usageRequests(filters?: UsageCallFilters, page?: { limit?: number; offset?: number }): Promise<UsageRequestPage>;
  /** Latency p50/p95 per model and spend per user label over the calls matching the filters. */
  usageCallStats(filters?: UsageCallFilters): Promise<UsageCallStats>;
  /** Each model of the user's usage (and every override, and `model` if given) at the price billed now, with its source. */
  priceList(model?: string): Promise<PriceList>;
  /** Admin only (AUTH_FORBIDDEN otherwise): the routes under /v1/admin. */
  admin: AdminClient;
  /** Workspaces, their members and invitations (/v1/workspaces); a signed-in person, not an API key. */
  workspaces: WorkspaceClient;
}

/**
 * The routes under /v1/workspaces. A workspace the caller is not in answers WORKSPACE_NOT_FOUND;
 * one where their role falls short, WORKSPACE_FORBIDDEN.
 */
export interface WorkspaceClient {
  /** The caller's workspaces, their personal one first, each with their role and what it may do. */
  list(): Promise<Workspace[]>;
  /** A team workspace, owned by the caller. */
  create(name: string): Promise<Workspace>;
  get(workspaceId: string): Promise<Workspace>;
  members(workspaceId: string): Promise<WorkspaceMember[]>;
  changeRole(workspaceId: string, userId: string, role: WorkspaceRole): Promise<WorkspaceMember>;
  removeMember(workspaceId: string, userId: string): Promise<void>;
  leave(workspaceId: string): Promise<void>;
  /** The member becomes an owner, the caller an admin. */
  transfer(workspaceId: string, userId: string): Promise<WorkspaceMember[]>;
  invitations(workspaceId: string): Promise<WorkspaceInvitation[]>;
  /** Mailed when the server has SMTP and `email` is given (`emailed`); otherwise `link` is for the caller to pass on. */
  invite(workspaceId: string, request: CreateInvitationRequest): Promise<CreatedInvitation>;
  revokeInvitation(workspaceId: string, invitationId: string): Promise<WorkspaceInvitation>;
  /** Joins with the token of an invitation link (its `#invitation=` part). */
  acceptInvitation(token: string): Promise<Workspace>;
  /** The workspace's audit log, newest first (owners and admins). */
  auditLog(workspaceId: string, query?: { limit?: number; before?: string }): Promise<AuditPage>;
}

/** The routes under /v1/admin. */
export interface AdminClient {
  listUsers(): Promise<AdminUser[]>;
  updateUser(userId: string, change: UpdateUserRequest): Promise<AdminUser>;
  /** A new account (member unless said); its one-time reset token, with which the person sets a password. */
  createUser(request: CreateUserRequest): Promise<CreatedUser>;
  /** A one-time reset token to hand to the user. */
  issuePasswordReset(userId: string): Promise<PasswordResetIssued>;
  /** Newest first; pass the page's `nextBefore` as `before` for the next one. */
  listAuditEvents(query?: { limit?: number; before?: string }): Promise<AuditPage>;
  /** Every user's ratings of answers, newest first. */
  listFeedback(query?: AdminFeedbackQuery): Promise<AdminAnswerFeedback[]>;
  getPrices(): Promise<PriceSettingsDto>;
  setPriceOverride(override: PriceOverrideDto): Promise<PriceSettingsDto>;
  removePriceOverride(model: string, provider?: string): Promise<PriceSettingsDto>;
  /** Percent off a provider's catalog prices; 0 removes it. Every node prices with it at once. */
  setProviderDiscount(provider: string, percent: number): Promise<PriceSettingsDto>;
  /** Prices with a genai-prices data file (its data.json) instead of the bundled catalog. */
  loadCatalogData(data: unknown, version?: string): Promise<CatalogSource>;
  clearCatalogData(): Promise<CatalogSource>;
  /** Re-pricing of every stored record: a preview first, then its application; poll `repriceJob`. */
  previewReprice(): Promise<RepriceJob>;
  applyReprice(previewId: string): Promise<RepriceJob>;
  repriceJob(jobId: string): Promise<RepriceJob>;
  getLlmSettings(): Promise<LlmSettings>;
  updateLlmSettings(change: UpdateLlmSettingsRequest): Promise<LlmSettings>;
  /** Back to the server's environment configuration. */
  clearLlmSettings(): Promise<LlmSettings>;
  /** One minimal real call to the saved LLM configuration: whether it answers, how fast, and why not. */
  testLlmConnection(): Promise<LlmConnectionTest>;
}

interface RequestSpec<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  schema: S;
  auth: boolean;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
}

const PAGE_SIZE = 1000;
/** The answer of routes that answer 204 No Content. */
const EmptySchema = z.object({}).passthrough();

export function createRestClient(options: RestClientOptions): RestClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send<S extends z.ZodType>(spec: RequestSpec<S>, retried = false): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.userAgent ? { 'user-agent': options.userAgent } : {}) };
    if (spec.auth) {
      const token = await options.getAccessToken?.();
      if (!token) throw new TallyApiError(401, 'AUTH_REQUIRED', 'Not signed in.');
      headers.authorization = `Bearer ${token}`;
    }
    let body = spec.body;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.contentType) {
      headers['content-type'] = spec.contentType;
    }

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body,
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) throw new TallyTimeoutError(`${spec.method} ${spec.path}`, timeoutMs);
      throw new TallyApiError(0, 'CLIENT_NETWORK', `${spec.method} ${spec.path} failed: ${describe(error)}`);
    } finally {
      clearTimeout(timer);
    }

    if (!response.ok) {
      if (response.status === 401 && spec.auth && !retried && options.onUnauthorized) {
        if (await options.onUnauthorized()) return send(spec, true);
      }
      throw apiErrorFromResponse(response.status, text);
    }
    return parseBody(spec, response.status, text);
  }

  const listRunEvents: RestClient['listRunEvents'] = async (runId, query = {}) => {
    const page = await send({
      method: 'GET',
      path: `/v1/runs/${encodeURIComponent(runId)}/events${apiQuery(RunEventsQuerySchema, { afterSeq: query.afterSeq ?? 0, limit: query.limit })}`,
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
    listThreads: async (query = {}) =>
      (await send({ method: 'GET', path: `/v1/threads${apiQuery(ThreadListQuerySchema, { q: query.q })}`, schema: ThreadListSchema, auth: true })).threads,
    renameThread: (threadId, title) =>
      send({ method: 'PATCH', path: `/v1/threads/${encodeURIComponent(threadId)}`, schema: ThreadSchema, auth: true, json: { title } }),
    deleteThread: async (threadId) => {
      await send({ method: 'DELETE', path: `/v1/threads/${encodeURIComponent(threadId)}`, schema: EmptySchema, auth: true });
    },
    listMessages: async (threadId) =>
      (
        await send({
          method: 'GET',
          path: `/v1/threads/${encodeURIComponent(threadId)}/messages`,
          schema: MessageListSchema,
          auth: true,
        })
      ).messages,
    getRun: (runId) =>
      send({ method: 'GET', path: `/v1/runs/${encodeURIComponent(runId)}`, schema: RunSchema, auth: true }),
    setAnswerFeedback: (runId, feedback) =>
      send({ method: 'PUT', path: `/v1/runs/${encodeURIComponent(runId)}/feedback`, schema: AnswerFeedbackSchema, auth: true, json: feedback }),
    deleteAnswerFeedback: async (runId) => {
      await send({ method: 'DELETE', path: `/v1/runs/${encodeURIComponent(runId)}/feedback`, schema: EmptySchema, auth: true });
    },
    threadFeedback: async (threadId) =>
      (await send({ method: 'GET', path: `/v1/threads/${encodeURIComponent(threadId)}/feedback`, schema: AnswerFeedbackListSchema, auth: true })).feedback,
    listRunEvents,
    listAllRunEvents: async (runId, afterSeq = 0) => {
      const all: RunEvent[] = [];
      let cursor = afterSeq;
      // Bounded by the log's length: every page moves the cursor forward or ends the loop.
      for (;;) {
        const page = await listRunEvents(runId, { afterSeq: cursor, limit: PAGE_SIZE });
        all.push(...page);
        const last = page.at(-1);
        if (page.length < PAGE_SIZE || !last || last.seq <= cursor) return all;
        cursor = last.seq;
      }
    },
    uploadUsage: async (ndjson, query = {}) =>
      send({
        method: 'POST',
        path: `/v1/usage${apiQuery(UsageUploadQuerySchema, { format: query.format, mapping: query.mapping })}`,
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
    createApiKey: (request) => send({ method: 'POST', path: '/v1/api-keys', schema: CreatedApiKeySchema, auth: true, json: request }),
    listApiKeys: async () => (await send({ method: 'GET', path: '/v1/api-keys', schema: ApiKeyListSchema, auth: true })).apiKeys,
    revokeApiKey: (keyId) => send({ method: 'DELETE', path: `/v1/api-keys/${encodeURIComponent(keyId)}`, schema: RevokedApiKeySchema, auth: true }),
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
    usageOverview: () => send({ method: 'GET', path: '/v1/usage/overview', schema: UsageOverviewSchema, auth: true }),
    usageRequests: async (filters = {}, page = {}) =>
      send({ method: 'GET', path: `/v1/usage/requests${apiQuery(UsageRequestsQuerySchema, usageCallQuery(filters, page))}`, schema: UsageRequestPageSchema, auth: true }),
    usageCallStats: async (filters = {}) => {
      const { limit: _limit, offset: _offset, ...query } = usageCallQuery(filters);
      return send({ method: 'GET', path: `/v1/usage/call-stats${apiQuery(UsageCallStatsQuerySchema, query)}`, schema: UsageCallStatsSchema, auth: true });
    },
    usageDashboard: async (filters = {}) =>
      send({ method: 'GET', path: `/v1/usage/dashboard${apiQuery(UsageDashboardQuerySchema, usageDashboardQuery(filters))}`, schema: UsageDashboardSchema, auth: true }),
    priceList: async (model) => send({ method: 'GET', path: `/v1/prices${apiQuery(PriceListQuerySchema, { model: model || undefined })}`, schema: PriceListSchema, auth: true }),
    admin: {
      listUsers: async () => (await send({ method: 'GET', path: '/v1/admin/users', schema: AdminUserListSchema, auth: true })).users,
      createUser: (request) => send({ method: 'POST', path: '/v1/admin/users', schema: CreatedUserSchema, auth: true, json: request }),
      updateUser: (userId, change) =>
        send({ method: 'PATCH', path: `/v1/admin/users/${encodeURIComponent(userId)}`, schema: AdminUserSchema, auth: true, json: change }),
      issuePasswordReset: (userId) =>
        send({ method: 'POST', path: `/v1/admin/users/${encodeURIComponent(userId)}/reset-password`, schema: PasswordResetIssuedSchema, auth: true, json: {} }),
      listAuditEvents: async (query = {}) =>
        send({ method: 'GET', path: `/v1/admin/audit${apiQuery(AuditQuerySchema, { limit: query.limit, before: query.before })}`, schema: AuditPageSchema, auth: true }),
      listFeedback: async (query = {}) =>
        (await send({ method: 'GET', path: `/v1/admin/feedback${apiQuery(AdminFeedbackQuerySchema, { rating: query.rating, limit: query.limit })}`, schema: AdminAnswerFeedbackListSchema, auth: true })).feedback,
      getPrices: () => send({ method: 'GET', path: '/v1/admin/prices', schema: PriceSettingsSchema, auth: true }),
      setPriceOverride: (override) => send({ method: 'PUT', path: '/v1/admin/prices', schema: PriceSettingsSchema, auth: true, json: override }),
      removePriceOverride: async (model, provider) =>
        send({ method: 'DELETE', path: `/v1/admin/prices${apiQuery(RemovePriceOverrideQuerySchema, { model, provider })}`, schema: PriceSettingsSchema, auth: true }),
      setProviderDiscount: (provider, percent) => send({ method: 'PUT', path: '/v1/admin/prices/discounts', schema: PriceSettingsSchema, auth: true, json: { provider, percent } }),
      loadCatalogData: async (data, version) =>
        send({ method: 'PUT', path: `/v1/admin/prices/catalog${apiQuery(LoadCatalogQuerySchema, { version: version || undefined })}`, schema: CatalogSourceSchema, auth: true, json: data }),
      clearCatalogData: () => send({ method: 'DELETE', path: '/v1/admin/prices/catalog', schema: CatalogSourceSchema, auth: true }),
      previewReprice: () => send({ method: 'POST', path: '/v1/admin/prices/reprice/preview', schema: RepriceJobSchema, auth: true, json: {} }),
      applyReprice: (previewId) => send({ method: 'POST', path: '/v1/admin/prices/reprice/apply', schema: RepriceJobSchema, auth: true, json: { previewId } }),
      repriceJob: (jobId) => send({ method: 'GET', path: `/v1/admin/prices/reprice/${encodeURIComponent(jobId)}`, schema: RepriceJobSchema, auth: true }),
      getLlmSettings: () => send({ method: 'GET', path: '/v1/admin/llm', schema: LlmSettingsSchema, auth: true }),
      updateLlmSettings: (change) => send({ method: 'PUT', path: '/v1/admin/llm', schema: LlmSettingsSchema, auth: true, json: change }),
      clearLlmSettings: () => send({ method: 'DELETE', path: '/v1/admin/llm', schema: LlmSettingsSchema, auth: true }),
      testLlmConnection: () => send({ method: 'POST', path: '/v1/admin/llm/test', schema: LlmConnectionTestSchema, auth: true, json: {} }),
    },
    workspaces: workspaceClient(send),
  };
}

type Send = <S extends z.ZodType>(spec: RequestSpec<S>) => Promise<z.infer<S>>;

function workspaceClient(send: Send): WorkspaceClient {
  const at = (workspaceId: string, rest = '') => `/v1/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
  return {
    list: async () => (await send({ method: 'GET', path: '/v1/workspaces', schema: WorkspaceListSchema, auth: true })).workspaces,
    create: (name) => send({ method: 'POST', path: '/v1/workspaces', schema: WorkspaceSchema, auth: true, json: { name } }),
    get: (workspaceId) => send({ method: 'GET', path: at(workspaceId), schema: WorkspaceSchema, auth: true }),
    members: async (workspaceId) => (await send({ method: 'GET', path: at(workspaceId, '/members'), schema: WorkspaceMemberListSchema, auth: true })).members,
    changeRole: (workspaceId, userId, role) =>
      send({ method: 'PATCH', path: at(workspaceId, `/members/${encodeURIComponent(userId)}`), schema: WorkspaceMemberSchema, auth: true, json: { role } }),
    removeMember: async (workspaceId, userId) => {
      await send({ method: 'DELETE', path: at(workspaceId, `/members/${encodeURIComponent(userId)}`), schema: EmptySchema, auth: true });
    },
    leave: async (workspaceId) => {
      await send({ method: 'POST', path: at(workspaceId, '/leave'), schema: EmptySchema, auth: true, json: {} });
    },
    transfer: async (workspaceId, userId) => (await send({ method: 'POST', path: at(workspaceId, '/transfer'), schema: WorkspaceMemberListSchema, auth: true, json: { userId } })).members,
    invitations: async (workspaceId) => (await send({ method: 'GET', path: at(workspaceId, '/invitations'), schema: WorkspaceInvitationListSchema, auth: true })).invitations,
    invite: (workspaceId, request) => send({ method: 'POST', path: at(workspaceId, '/invitations'), schema: CreatedInvitationSchema, auth: true, json: request }),
    revokeInvitation: (workspaceId, invitationId) =>
      send({ method: 'DELETE', path: at(workspaceId, `/invitations/${encodeURIComponent(invitationId)}`), schema: WorkspaceInvitationSchema, auth: true }),
    acceptInvitation: (token) => send({ method: 'POST', path: '/v1/workspaces/invitations/accept', schema: WorkspaceSchema, auth: true, json: { token } }),
    auditLog: async (workspaceId, query = {}) =>
      send({ method: 'GET', path: at(workspaceId, `/audit${apiQuery(AuditQuerySchema, { limit: query.limit, before: query.before })}`), schema: AuditPageSchema, auth: true }),
  };
}

function parseBody<S extends z.ZodType>(spec: RequestSpec<S>, status: number, text: string): z.infer<S> {
  let json: unknown;
  try {
    json = status === 204 && text === '' ? {} : JSON.parse(text);
  } catch {
    throw new TallyApiError(status, 'CLIENT_UNEXPECTED_RESPONSE', `${spec.path} answered with non-JSON text`);
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape';
    throw new TallyApiError(status, 'CLIENT_UNEXPECTED_RESPONSE', `${spec.path} answered an unexpected shape (${where})`);
  }
  return parsed.data;
}

/** The ingest summary carried by a 400 answer to an upload whose every line was refused. */
export function ingestSummaryOfError(error: unknown): IngestSummary | undefined {
  if (!(error instanceof TallyApiError) || error.status !== 400) return undefined;
  const parsed = IngestSummarySchema.safeParse(error.details);
  return parsed.success ? parsed.data : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
