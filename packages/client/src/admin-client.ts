import {
  type AdminAnswerFeedback,
  AdminAnswerFeedbackListSchema,
  type AdminFeedbackQuery,
  AdminFeedbackQuerySchema,
  type AdminUser,
  AdminUserListSchema,
  AdminUserSchema,
  type AuditPage,
  AuditPageSchema,
  AuditQuerySchema,
  type CatalogSource,
  CatalogSourceSchema,
  type CreatedUser,
  CreatedUserSchema,
  type CreateUserRequest,
  type LlmConnectionTest,
  LlmConnectionTestSchema,
  type LlmSettings,
  LlmSettingsSchema,
  LoadCatalogQuerySchema,
  type PasswordResetIssued,
  PasswordResetIssuedSchema,
  type PriceOverrideDto,
  type PriceSettingsDto,
  PriceSettingsSchema,
  RemovePriceOverrideQuerySchema,
  type RepriceJob,
  RepriceJobSchema,
  type UpdateLlmSettingsRequest,
  type UpdateUserRequest,
} from '@tally/protocol';
import { apiQuery } from './api-query.js';
import { EmptySchema, type Send } from './request-sender.js';

/** The routes under /v1/admin. */
export interface AdminClient {
  listUsers(): Promise<AdminUser[]>;
  updateUser(userId: string, change: UpdateUserRequest): Promise<AdminUser>;
  /** A new account (member unless said); its one-time reset token, with which the person sets a password. */
  createUser(request: CreateUserRequest): Promise<CreatedUser>;
  /** A one-time reset token to hand to the user. */
  issuePasswordReset(userId: string): Promise<PasswordResetIssued>;
  /** Deletes any account but the system one, with everything of it (sessions end on every node); audited. */
  deleteUser(userId: string): Promise<void>;
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

export function adminClient(send: Send): AdminClient {
  return {
    listUsers: async () => (await send({ method: 'GET', path: '/v1/admin/users', schema: AdminUserListSchema, auth: true })).users,
    createUser: (request) => send({ method: 'POST', path: '/v1/admin/users', schema: CreatedUserSchema, auth: true, json: request }),
    updateUser: (userId, change) =>
      send({ method: 'PATCH', path: `/v1/admin/users/${encodeURIComponent(userId)}`, schema: AdminUserSchema, auth: true, json: change }),
    deleteUser: async (userId) => {
      await send({ method: 'DELETE', path: `/v1/admin/users/${encodeURIComponent(userId)}`, schema: EmptySchema, auth: true });
    },
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
  };
}
