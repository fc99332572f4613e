import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateApiKeyRequestSchema, IdSchema, type ApiKeyList, type CreatedApiKey, type RevokedApiKey } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

const ParamsSchema = z.object({ keyId: IdSchema });

/**
 * A workspace's API keys (`/v1/workspaces/:workspaceId/api-keys`): create (the key is in this
 * answer only), list (with who made each), revoke. Behind `personIn('settings.manage')` in
 * ROUTE_ACCESS: admins and owners of the workspace, never an API key (a leaked key cannot mint
 * more). Another workspace's key id answers API_KEY_NOT_FOUND. Every change goes to the
 * workspace's audit log.
 */
export async function apiKeyRoutes(app: FastifyInstance, deps: { apiKeys: ApiKeys; audit: AuditLog }): Promise<void> {
  app.post('/v1/workspaces/:workspaceId/api-keys', async (request, reply): Promise<CreatedApiKey> => {
    const { workspaceId, userId } = workspaceAccessOf(request);
    const created = await deps.apiKeys.create(workspaceId, userId, parseInput(CreateApiKeyRequestSchema, request.body));
    await deps.audit.record({
      action: 'api_key.created',
      actorId: userId,
      workspaceId,
      target: `api_key:${created.id}`,
      ip: request.ip,
      details: { name: created.name, scopes: created.scopes, prefix: created.prefix },
    });
    // Shown once: no cache keeps it.
    void reply.status(201).header('cache-control', 'no-store');
    return created;
  });

  app.get('/v1/workspaces/:workspaceId/api-keys', async (request): Promise<ApiKeyList> => ({ apiKeys: await deps.apiKeys.list(workspaceAccessOf(request).workspaceId) }));

  app.delete('/v1/workspaces/:workspaceId/api-keys/:keyId', async (request): Promise<RevokedApiKey> => {
    const { workspaceId, userId } = workspaceAccessOf(request);
    const parsed = ParamsSchema.safeParse(request.params);
    // A malformed id is as unknown as another workspace's.
    if (!parsed.success) throw new AppError('API_KEY_NOT_FOUND');
    const revoked = await deps.apiKeys.revoke(workspaceId, parsed.data.keyId);
    await deps.audit.record({ action: 'api_key.revoked', actorId: userId, workspaceId, target: `api_key:${revoked.id}`, ip: request.ip });
    return revoked;
  });
}
