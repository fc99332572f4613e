import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AdminFeedbackQuerySchema, IdSchema, SetAnswerFeedbackRequestSchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AnswerFeedbackService } from '../threads/answer-feedback.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

const ParamsSchema = z.object({ id: IdSchema });

/** Ratings of answers: the caller's own (per run, per thread), and everyone's for admins (ROUTE_ACCESS). */
export async function feedbackRoutes(app: FastifyInstance, deps: { feedback: AnswerFeedbackService }): Promise<void> {
  app.put('/v1/runs/:id/feedback', async (request) => {
    const runId = idOf(request.params, 'RUN_NOT_FOUND');
    const body = parseInput(SetAnswerFeedbackRequestSchema, request.body);
    return deps.feedback.set(userOf(request).userId, runId, body);
  });
  app.delete('/v1/runs/:id/feedback', async (request, reply) => {
    await deps.feedback.remove(userOf(request).userId, idOf(request.params, 'RUN_NOT_FOUND'));
    return reply.status(204).send();
  });
  app.get('/v1/threads/:id/feedback', async (request) => ({
    feedback: await deps.feedback.ofThread(userOf(request).userId, idOf(request.params, 'THREAD_NOT_FOUND')),
  }));
  app.get('/v1/admin/feedback', async (request) => {
    const query = parseInput(AdminFeedbackQuerySchema, request.query ?? {});
    return { feedback: await deps.feedback.listAll(query) };
  });
}

/** A malformed id is as unknown as a foreign one. */
function idOf(params: unknown, notFound: 'RUN_NOT_FOUND' | 'THREAD_NOT_FOUND'): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError(notFound);
  return parsed.data.id;
}
