import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AuditQuerySchema,
  CreateUserRequestSchema,
  IdSchema,
  PriceOverrideSchema,
  RemovePriceOverrideQuerySchema,
  UpdateLlmSettingsRequestSchema,
  UpdateUserRequestSchema,
  type AdminUser,
  type AuditPage,
  type CreatedUser,
  type LlmSettings,
  type LlmConnectionTest,
  type PasswordResetIssued,
  type PriceSettingsDto,
} from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { UserAdmin } from '../admin/user-admin.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { PasswordResets } from '../auth/password-resets.js';
import type { LlmSettingsStore } from '../llm/llm-settings.js';
import { testLlmConnection } from '../llm/test-llm-connection.js';
import type { PriceOverride } from '../pricing/genai-price-catalog.js';
import type { PriceSettings } from '../pricing/price-settings.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

/** The admin's price table, as pricing/price-settings.ts keeps it. */
export interface PriceSettingsAdmin {
  load(): Promise<PriceSettings>;
  set(override: PriceOverride): Promise<void>;
  /** False when the model had no override. */
  remove(model: string, provider?: string): Promise<boolean>;
}

export interface AdminRouteDeps {
  users: UserAdmin;
  resets: PasswordResets;
  audit: AuditLog;
  prices: PriceSettingsAdmin;
  llm: LlmSettingsStore;
}

const ParamsSchema = z.object({ id: IdSchema });

/**
 * Everything under /v1/admin: users, the audit log, price overrides and the LLM. Every change is
 * audited. Admins only: ROUTE_ACCESS (route-access.ts) guards each route.
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const record = (request: FastifyRequest, event: Omit<AuditEventInput, 'actorId' | 'ip'>) =>
    deps.audit.record({ ...event, actorId: userOf(request).userId, ip: request.ip });

  app.get('/v1/admin/users', async (): Promise<{ users: AdminUser[] }> => ({ users: await deps.users.list() }));

  app.post('/v1/admin/users', async (request, reply): Promise<CreatedUser> => {
    const { email, role } = parseInput(CreateUserRequestSchema, request.body);
    const user = await deps.users.create(email, role);
    await record(request, { action: 'user.created', target: `user:${user.id}`, details: { email: user.email, role: user.role } });
    const reset = await deps.resets.issue(user.id, userOf(request).userId);
    await record(request, { action: 'user.password_reset_issued', target: `user:${user.id}`, details: { expiresAt: reset.expiresAt } });
    // The reset token is shown once: no cache keeps it.
    void reply.status(201).header('cache-control', 'no-store');
    return { user, reset };
  });

  app.patch('/v1/admin/users/:id', async (request): Promise<AdminUser> => {
    const id = userId(request.params);
    const { before, after } = await deps.users.update(id, parseInput(UpdateUserRequestSchema, request.body));
    const target = `user:${id}`;
    if (before.role !== after.role) await record(request, { action: 'user.role_changed', target, details: { email: after.email, from: before.role, to: after.role } });
    if (before.disabled !== after.disabled) await record(request, { action: after.disabled ? 'user.disabled' : 'user.enabled', target, details: { email: after.email } });
    return after;
  });

  app.post('/v1/admin/users/:id/reset-password', async (request, reply): Promise<PasswordResetIssued> => {
    const id = userId(request.params);
    const issued = await deps.resets.issue(id, userOf(request).userId);
    await record(request, { action: 'user.password_reset_issued', target: `user:${id}`, details: { expiresAt: issued.expiresAt } });
    // Shown once: no cache keeps it.
    void reply.status(201).header('cache-control', 'no-store');
    return issued;
  });

  app.get('/v1/admin/audit', async (request): Promise<AuditPage> => {
    const query = parseInput(AuditQuerySchema, request.query);
    return deps.audit.list({ limit: query.limit, ...(query.before ? { before: query.before } : {}) });
  });

  app.get('/v1/admin/prices', async (): Promise<PriceSettingsDto> => deps.prices.load());

  app.put('/v1/admin/prices', async (request): Promise<PriceSettingsDto> => {
    const override = parseInput(PriceOverrideSchema, request.body);
    await deps.prices.set(override);
    await record(request, { action: 'admin.price_override_set', target: priceTarget(override), details: { ...override } });
    return deps.prices.load();
  });

  app.delete('/v1/admin/prices', async (request): Promise<PriceSettingsDto> => {
    const { model, provider } = parseInput(RemovePriceOverrideQuerySchema, request.query);
    if (!(await deps.prices.remove(model, provider))) throw new AppError('PRICE_OVERRIDE_NOT_FOUND');
    await record(request, { action: 'admin.price_override_removed', target: priceTarget({ model, provider }), details: { model, ...(provider ? { provider } : {}) } });
    return deps.prices.load();
  });

  app.get('/v1/admin/llm', async (): Promise<LlmSettings> => deps.llm.view());

  // "Test connection": one minimal real call to the LLM new runs would use.
  app.post('/v1/admin/llm/test', async (): Promise<LlmConnectionTest> => testLlmConnection(await deps.llm.current()));

  app.put('/v1/admin/llm', async (request): Promise<LlmSettings> => {
    const change = parseInput(UpdateLlmSettingsRequestSchema, request.body);
    const settings = await deps.llm.update(change, userOf(request).userId);
    // Never the key itself: whether one is set, and whether this request changed it.
    const { source: _source, updatedAt: _updatedAt, ...shown } = settings;
    await record(request, { action: 'admin.llm_settings_changed', target: 'llm', details: { ...shown, apiKeyChanged: change.apiKey !== undefined } });
    return settings;
  });

  app.delete('/v1/admin/llm', async (request): Promise<LlmSettings> => {
    const settings = await deps.llm.clear();
    await record(request, { action: 'admin.llm_settings_cleared', target: 'llm' });
    return settings;
  });
}

/** A malformed id is as unknown as a missing one. */
function userId(params: unknown): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('USER_NOT_FOUND');
  return parsed.data.id;
}

function priceTarget(o: { model: string; provider?: string | undefined }): string {
  return `price:${o.model.toLowerCase().trim()}${o.provider ? `@${o.provider.toLowerCase().trim()}` : ''}`;
}
