import type { FastifyInstance } from 'fastify';
import { PutUsageSourceSchema, ReconciliationQuerySchema, type Reconciliation, type UsageSources } from '@tally/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { ReconciliationService } from '../reconciliation/reconciliation-service.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

/**
 * Computed versus billed, and which source a workspace's totals come from (issue 18):
 * GET /v1/workspaces/:workspaceId/reconciliation?from&to for anyone who reads the workspace;
 * GET .../usage-sources likewise; PUT .../usage-sources for admins and owners (settings.manage),
 * recorded in the workspace's audit log.
 */
export async function reconciliationRoutes(app: FastifyInstance, deps: { reconciliation: ReconciliationService; audit: AuditLog }): Promise<void> {
  app.get('/v1/workspaces/:workspaceId/reconciliation', async (request): Promise<Reconciliation> => {
    const query = parseInput(ReconciliationQuerySchema, request.query ?? {});
    return deps.reconciliation.reconcile(workspaceAccessOf(request).workspaceId, query);
  });

  app.get('/v1/workspaces/:workspaceId/usage-sources', async (request): Promise<UsageSources> => deps.reconciliation.sources(workspaceAccessOf(request).workspaceId));

  app.put('/v1/workspaces/:workspaceId/usage-sources', async (request): Promise<UsageSources> => {
    const { workspaceId, userId } = workspaceAccessOf(request);
    const { provider, setting } = parseInput(PutUsageSourceSchema, request.body);
    const answer = await deps.reconciliation.setSource(workspaceId, userId, provider, setting);
    await deps.audit.record({ action: 'workspace.usage_source_changed', actorId: userId, workspaceId, target: `usage_source:${provider}`, ip: request.ip, details: { provider, setting } });
    return answer;
  });
}
