import { z } from 'zod';
import { safeText } from '../safe-text.js';

/** Routes under /v1/admin answer only a signed-in admin (AUTH_FORBIDDEN for members). */

export const USER_ROLES = ['admin', 'member'] as const;
export const UserRoleSchema = z.enum(USER_ROLES);
export type UserRole = z.infer<typeof UserRoleSchema>;

// ---- users

export const AdminUserSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: UserRoleSchema,
  /** A disabled user cannot log in, refresh, use API keys or open sockets; their tokens stop working. */
  disabled: z.boolean(),
  createdAt: z.string(),
});
export type AdminUser = z.infer<typeof AdminUserSchema>;
export const AdminUserListSchema = z.object({ users: z.array(AdminUserSchema) });

/** PATCH /v1/admin/users/:id. The server always keeps one active admin (USER_LAST_ADMIN). */
export const UpdateUserRequestSchema = z
  .object({ role: UserRoleSchema.optional(), disabled: z.boolean().optional() })
  .refine((change) => change.role !== undefined || change.disabled !== undefined, { message: 'send role, disabled or both' });
export type UpdateUserRequest = z.infer<typeof UpdateUserRequestSchema>;

/**
 * POST /v1/admin/users/:id/reset-password: a one-time reset token, shown once, which the admin
 * hands to the user; the user sets a new password with it at POST /v1/auth/reset-password.
 */
export const PasswordResetIssuedSchema = z.object({
  resetToken: z.string(),
  expiresAt: z.string(),
});
export type PasswordResetIssued = z.infer<typeof PasswordResetIssuedSchema>;

/** POST /v1/auth/reset-password: the token is good once; every session of the user ends. */
export const ResetPasswordRequestSchema = z.object({
  token: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
});
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequestSchema>;

/**
 * POST /v1/admin/users: an account an admin makes for someone. It has no usable password: the
 * answer carries a one-time reset token (shown once) with which the person sets theirs.
 */
export const CreateUserRequestSchema = z.object({ email: z.string().trim().toLowerCase().email().max(254), role: UserRoleSchema.default('member') }).strict();
export type CreateUserRequest = z.input<typeof CreateUserRequestSchema>;
export const CreatedUserSchema = z.object({ user: AdminUserSchema, reset: PasswordResetIssuedSchema });
export type CreatedUser = z.infer<typeof CreatedUserSchema>;
export const PasswordResetDoneSchema = z.object({ passwordChanged: z.literal(true) });

// ---- audit log

/**
 * What the audit log records. Clients read `action` as a plain string (new actions may appear);
 * the server writes only these.
 */
export const AUDIT_ACTIONS = [
  'auth.signup',
  'auth.login',
  'auth.login_failed',
  'auth.refresh_reused',
  'auth.password_changed',
  'auth.session_revoked',
  'api_key.created',
  'api_key.revoked',
  'user.created',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.password_reset_issued',
  'user.password_reset',
  'admin.price_override_set',
  'admin.price_override_removed',
  'admin.price_discount_set',
  'admin.price_catalog_loaded',
  'admin.price_catalog_cleared',
  'admin.reprice_applied',
  'admin.llm_settings_changed',
  'admin.llm_settings_cleared',
  'workspace.created',
  'workspace.invitation_created',
  'workspace.invitation_revoked',
  'workspace.invitation_accepted',
  'workspace.member_role_changed',
  'workspace.member_removed',
  'workspace.member_left',
  'thread.shared',
  'thread.unshared',
  'workspace.ownership_transferred',
  'connector.created',
  'connector.key_replaced',
  'connector.removed',
  'connector.sync_requested',
  'connector.backfill_requested',
  'workspace.usage_source_changed',
] as const;
export const AuditActionSchema = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** An event id: only older events (the previous page's `nextBefore`). */
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'must be an event id')
    .optional(),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditEventSchema = z.object({
  /** Increasing: newer events have larger ids. */
  id: z.string(),
  at: z.string(),
  /** Who acted; null for the system, the CLI or an anonymous caller (a failed log-in). */
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  action: z.string(),
  /** What it was done to, as `kind:id` (e.g. `user:<id>`, `api_key:<id>`, `price:<model>`, `llm`). */
  target: z.string().nullable(),
  /** The target as people name it: a user's email, an API key's name; null when it has no name (or is gone). */
  targetLabel: z.string().nullable().default(null),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
/** Newest first; `nextBefore` is the `before` of the next (older) page, null on the last. */
export const AuditPageSchema = z.object({ events: z.array(AuditEventSchema), nextBefore: z.string().nullable() });
export type AuditPage = z.infer<typeof AuditPageSchema>;

// ---- prices (the catalog's admin overrides)

const price = z.number().min(0);

/** USD per million tokens for a model, instead of the catalog's. */
export const PriceOverrideSchema = z.object({
  model: safeText().trim().min(1).max(200),
  /** Only for calls from this provider; absent for any provider. */
  provider: safeText().trim().min(1).max(100).optional(),
  inputPerMTok: price,
  outputPerMTok: price,
  cacheReadPerMTok: price.optional(),
  cacheWritePerMTok: price.optional(),
});
export type PriceOverrideDto = z.infer<typeof PriceOverrideSchema>;

/** GET/PUT/DELETE /v1/admin/prices answer the whole table; every node applies a change at once. */
export const PriceSettingsSchema = z.object({
  overrides: z.array(PriceOverrideSchema),
  /** Negotiated discounts on catalog prices, percent per provider (set with `tally prices discount`). */
  discountsPercent: z.record(z.string(), z.number()),
});
export type PriceSettingsDto = z.infer<typeof PriceSettingsSchema>;

export const RemovePriceOverrideQuerySchema = z.object({
  model: safeText().trim().min(1).max(200),
  provider: safeText().trim().min(1).max(100).optional(),
});

// ---- the LLM

export const LLM_PROVIDERS = ['offline', 'openai-compatible', 'anthropic'] as const;
export const LlmProviderSchema = z.enum(LLM_PROVIDERS);
export type LlmProvider = z.infer<typeof LlmProviderSchema>;

/** GET /v1/admin/llm. The API key is never returned, only whether one is set. */
export const LlmSettingsSchema = z.object({
  /** `database`: set by an admin here, used by every node for new runs; `environment`: TALLY_LLM_*. */
  source: z.enum(['database', 'environment']),
  provider: LlmProviderSchema,
  baseUrl: z.string().nullable(),
  model: z.string().nullable(),
  apiKeySet: z.boolean(),
  timeoutMs: z.number().int(),
  updatedAt: z.string().nullable(),
});
export type LlmSettings = z.infer<typeof LlmSettingsSchema>;

/**
 * PUT /v1/admin/llm. `apiKey`: a string sets it, null removes it, absent keeps the one stored.
 * openai-compatible needs baseUrl and model; anthropic needs model and a key (baseUrl optional).
 */
export const UpdateLlmSettingsRequestSchema = z
  .object({
    provider: LlmProviderSchema,
    baseUrl: z
      .string()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//i.test(u), { message: 'must start with http:// or https://' })
      .nullable()
      .optional(),
    model: safeText().trim().min(1).max(200).nullable().optional(),
    apiKey: safeText().min(1).max(4000).nullable().optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.provider === 'openai-compatible' && !value.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'is required for openai-compatible' });
    if (value.provider !== 'offline' && !value.model) ctx.addIssue({ code: 'custom', path: ['model'], message: `is required for ${value.provider}` });
  });
export type UpdateLlmSettingsRequest = z.infer<typeof UpdateLlmSettingsRequestSchema>;

/**
 * POST /v1/admin/llm/test: one minimal real call to the LLM new runs would use. A failed call is
 * an answer (ok false, with why), not an HTTP error.
 */
export const LlmConnectionTestSchema = z.object({
  ok: z.boolean(),
  provider: LlmProviderSchema,
  model: z.string().nullable(),
  /** How long the call took, ms. */
  latencyMs: z.number(),
  /** `offline`: no LLM is configured; else how the call failed (timeout, http, network, invalid_output). */
  failure: z.enum(['offline', 'timeout', 'http', 'network', 'invalid_output']).nullable(),
  /** The provider's words on a failure (shortened). */
  message: z.string().nullable(),
  /** The start of the model's answer on success. */
  reply: z.string().nullable(),
});
export type LlmConnectionTest = z.infer<typeof LlmConnectionTestSchema>;
