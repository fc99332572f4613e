import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateApiKeyRequestSchema, IdSchema, type ApiKeyList, type CreatedApiKey, type RevokedApiKey } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

const ParamsSchema = z.object({ id: IdSchema });

/**
 * A user's API keys: create (the key is in this answer only), list, revoke. Owner-scoped: another
 * user's key id answers API_KEY_NOT_FOUND. Behind `signed-in` in ROUTE_ACCESS: no API key manages keys.
 */
export async function apiKeyRoutes(app: FastifyInstance, deps: { apiKeys: ApiKeys; audit: AuditLog }): Promise<void> {
  app.post('/v1/api-keys', async (request, reply): Promise<CreatedApiKey> => {
    const user = userOf(request);
    const created = await deps.apiKeys.create(user.userId, parseInput(CreateApiKeyRequestSchema, request.body));
    await deps.audit.record({
      action: 'api_key.created',
      actorId: user.userId,
      target: `api_key:${created.id}`,
      ip: request.ip,
      details: { name: created.name, scopes: created.scopes, prefix: created.prefix },
    });
    // Shown once: no cache keeps it.
    void reply.status(201).header('cache-control', 'no-store');
    return created;
  });

  app.get('/v1/api-keys', async (request): Promise<ApiKeyList> => ({ apiKeys: await deps.apiKeys.list(userOf(request).userId) }));

  app.delete('/v1/api-keys/:id', async (request): Promise<RevokedApiKey> => {
    const user = userOf(request);
    const parsed = ParamsSchema.safeParse(request.params);
    // A malformed id is as unknown as another user's.
    if (!parsed.success) throw new AppError('API_KEY_NOT_FOUND');
    const revoked = await deps.apiKeys.revoke(user.userId, parsed.data.id);
    await deps.audit.record({ action: 'api_key.revoked', actorId: user.userId, target: `api_key:${revoked.id}`, ip: request.ip });
    return revoked;
  });
}
