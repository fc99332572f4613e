import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdSchema, RenameThreadRequestSchema, ThreadListQuerySchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { ThreadService } from '../threads/thread-service.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

const ParamsSchema = z.object({ id: IdSchema });

export async function threadRoutes(app: FastifyInstance, deps: { threads: ThreadService }): Promise<void> {
  app.get('/v1/threads', async (request) => {
    const { q } = parseInput(ThreadListQuerySchema, request.query ?? {});
    return { threads: await deps.threads.list(userOf(request).userId, { q }) };
  });
  app.get('/v1/threads/:id', async (request) => deps.threads.get(userOf(request).userId, threadId(request.params)));
  app.patch('/v1/threads/:id', async (request) => {
    const id = threadId(request.params);
    const { title } = parseInput(RenameThreadRequestSchema, request.body);
    return deps.threads.rename(userOf(request).userId, id, title);
  });
  app.delete('/v1/threads/:id', async (request, reply) => {
    await deps.threads.remove(userOf(request).userId, threadId(request.params));
    return reply.status(204).send();
  });
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
