import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdSchema, RunEventsQuerySchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { RunService } from '../runs/run-service.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

const ParamsSchema = z.object({ id: IdSchema });

export async function runRoutes(app: FastifyInstance, deps: { runs: RunService }): Promise<void> {
  app.get('/v1/runs/:id', async (request) => deps.runs.get(userOf(request).userId, runId(request.params)));
  app.get('/v1/runs/:id/events', async (request) => {
    const query = parseInput(RunEventsQuerySchema, request.query);
    return { events: await deps.runs.events(userOf(request).userId, runId(request.params), query.afterSeq, query.limit) };
  });
  app.post('/v1/runs/:id/stop', async (request) => deps.runs.stop(userOf(request).userId, runId(request.params)));
}

function runId(params: unknown): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('RUN_NOT_FOUND');
  return parsed.data.id;
}
