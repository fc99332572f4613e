import type { FastifyInstance } from 'fastify';
import { UsageCallStatsQuerySchema, UsageRequestsQuerySchema, type UsageCallStats, type UsageRequestPage } from '@tally/protocol';
import { buildCallStats } from '../analysis/call-stats.js';
import type { UsageExplorer } from '../usage/usage-explorer.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

/**
 * The usage page's per-call reads: the paged, filtered explorer and the call statistics (latency
 * percentiles per model, spend per user label). Scoped to the workspace the path names: its records only.
 */
export async function usageExplorerRoutes(app: FastifyInstance, deps: { explorer: UsageExplorer }): Promise<void> {
  app.get('/v1/workspaces/:workspaceId/usage/requests', async (request): Promise<UsageRequestPage> => {
    const query = parseInput(UsageRequestsQuerySchema, request.query ?? {});
    return deps.explorer.requestPage(workspaceAccessOf(request).workspaceId, query);
  });

  app.get('/v1/workspaces/:workspaceId/usage/call-stats', async (request): Promise<UsageCallStats> => {
    const filters = parseInput(UsageCallStatsQuerySchema, request.query ?? {});
    const { workspaceId } = workspaceAccessOf(request);
    const [latency, spend] = await Promise.all([deps.explorer.latencyByModel(workspaceId, filters), deps.explorer.spendByUser(workspaceId, filters)]);
    return buildCallStats(latency, spend);
  });
}
