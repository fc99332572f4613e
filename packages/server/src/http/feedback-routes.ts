import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AdminFeedbackQuerySchema, IdSchema, SetAnswerFeedbackRequestSchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AnswerFeedbackService } from '../threads/answer-feedback.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

const RunParamsSchema = z.object({ runId: IdSchema });
const ThreadParamsSchema = z.object({ threadId: IdSchema });

/** Ratings of answers: the caller's own (per run, per thread), and everyone's for admins (ROUTE_ACCESS). */
export async function feedbackRoutes(app: FastifyInstance, deps: { feedback: AnswerFeedbackService }): Promise<void> {
  app.put('/v1/workspaces/:workspaceId/runs/:runId/feedback', async (request) => {
    const runId = runIdOf(request.params);
    const body = parseInput(SetAnswerFeedbackRequestSchema, request.body);
    return deps.feedback.set(workspaceAccessOf(request), runId, body);
  });
  app.delete('/v1/workspaces/:workspaceId/runs/:runId/feedback', async (request, reply) => {
    await deps.feedback.remove(workspaceAccessOf(request), runIdOf(request.params));
    return reply.status(204).send();
  });
  app.get('/v1/workspaces/:workspaceId/threads/:threadId/feedback', async (request) => {
    const parsed = ThreadParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new AppError('THREAD_NOT_FOUND');
    return { feedback: await deps.feedback.ofThread(workspaceAccessOf(request), parsed.data.threadId) };
  });
  app.get('/v1/admin/feedback', async (request) => {
    const query = parseInput(AdminFeedbackQuerySchema, request.query ?? {});
    return { feedback: await deps.feedback.listAll(query) };
  });
}

/** A malformed id is as unknown as a foreign one. */
function runIdOf(params: unknown): string {
  const parsed = RunParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('RUN_NOT_FOUND');
  return parsed.data.runId;
}
