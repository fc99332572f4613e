import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { IdSchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { ThreadService } from '../threads/thread-service.js';
import { userOf } from './authenticate.js';

const ParamsSchema = z.object({ id: IdSchema });

export async function threadRoutes(app: FastifyInstance, deps: { threads: ThreadService; requireUser: preHandlerAsyncHookHandler }): Promise<void> {
  app.addHook('preHandler', deps.requireUser);
  app.get('/v1/threads', async (request) => ({ threads: await deps.threads.list(userOf(request).userId) }));
  app.get('/v1/threads/:id', async (request) => deps.threads.get(userOf(request).userId, threadId(request.params)));
  app.get('/v1/threads/:id/messages', async (request) => ({
    messages: await deps.threads.messages(userOf(request).userId, threadId(request.params)),
  }));
}

/** A malformed id is as unknown as a foreign one. */
function threadId(params: unknown): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('THREAD_NOT_FOUND');
  return parsed.data.id;
}
