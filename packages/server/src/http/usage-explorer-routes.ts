import type { FastifyInstance } from 'fastify';
import { UsageCallStatsQuerySchema, UsageRequestsQuerySchema, type UsageCallStats, type UsageRequestPage } from '@tally/protocol';
import { buildCallStats } from '../analysis/call-stats.js';
import type { UsageExplorer } from '../usage/usage-explorer.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

/**
 * The usage page's per-call reads: the paged, filtered explorer and the call statistics (latency
 * percentiles per model, spend per user label). Owner-scoped: the caller's own records only.
 */
export async function usageExplorerRoutes(app: FastifyInstance, deps: { explorer: UsageExplorer }): Promise<void> {
  app.get('/v1/usage/requests', async (request): Promise<UsageRequestPage> => {
    const query = parseInput(UsageRequestsQuerySchema, request.query ?? {});
    return deps.explorer.requestPage(userOf(request).userId, query);
  });

  app.get('/v1/usage/call-stats', async (request): Promise<UsageCallStats> => {
    const filters = parseInput(UsageCallStatsQuerySchema, request.query ?? {});
    const ownerId = userOf(request).userId;
    const [latency, spend] = await Promise.all([deps.explorer.latencyByModel(ownerId, filters), deps.explorer.spendByUser(ownerId, filters)]);
    return buildCallStats(latency, spend);
  });
}
