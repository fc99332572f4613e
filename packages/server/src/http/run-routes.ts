import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdSchema, RunEventsQuerySchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { RunService } from '../runs/run-service.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

const ParamsSchema = z.object({ runId: IdSchema });

/** A workspace's runs: read by their author or, in a shared thread, any member; stopped by their author only. */
export async function runRoutes(app: FastifyInstance, deps: { runs: RunService }): Promise<void> {
  app.get('/v1/workspaces/:workspaceId/runs/:runId', async (request) => deps.runs.get(workspaceAccessOf(request), runId(request.params)));
  app.get('/v1/workspaces/:workspaceId/runs/:runId/events', async (request) => {
    const query = parseInput(RunEventsQuerySchema, request.query);
    return { events: await deps.runs.events(workspaceAccessOf(request), runId(request.params), query.afterSeq, query.limit) };
  });
  app.post('/v1/workspaces/:workspaceId/runs/:runId/stop', async (request) => {
    const caller = workspaceAccessOf(request);
    const run = await deps.runs.authored(caller, runId(request.params));
    return deps.runs.stop(caller.userId, run.id);
  });
}

function runId(params: unknown): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('RUN_NOT_FOUND');
  return parsed.data.runId;
}
