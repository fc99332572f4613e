import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdSchema, RenameThreadRequestSchema, SetThreadSharingRequestSchema, ThreadListQuerySchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { ThreadService } from '../threads/thread-service.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

const ParamsSchema = z.object({ threadId: IdSchema });

/** A workspace's threads as the caller sees them (ROUTE_ACCESS authorised the workspace first). */
export async function threadRoutes(app: FastifyInstance, deps: { threads: ThreadService }): Promise<void> {
  app.get('/v1/workspaces/:workspaceId/threads', async (request) => {
    const { q } = parseInput(ThreadListQuerySchema, request.query ?? {});
    return { threads: await deps.threads.list(workspaceAccessOf(request), { q }) };
  });
  app.get('/v1/workspaces/:workspaceId/threads/:threadId', async (request) => deps.threads.get(workspaceAccessOf(request), threadId(request.params)));
  app.patch('/v1/workspaces/:workspaceId/threads/:threadId', async (request) => {
    const id = threadId(request.params);
    const { title } = parseInput(RenameThreadRequestSchema, request.body);
    return deps.threads.rename(workspaceAccessOf(request), id, title);
  });
  app.delete('/v1/workspaces/:workspaceId/threads/:threadId', async (request, reply) => {
    await deps.threads.remove(workspaceAccessOf(request), threadId(request.params));
    return reply.status(204).send();
  });
  app.get('/v1/workspaces/:workspaceId/threads/:threadId/messages', async (request) => ({
    messages: await deps.threads.messages(workspaceAccessOf(request), threadId(request.params)),
  }));
  app.put('/v1/workspaces/:workspaceId/threads/:threadId/sharing', async (request) => {
    const id = threadId(request.params);
    const { shared } = parseInput(SetThreadSharingRequestSchema, request.body);
    return deps.threads.setSharing(workspaceAccessOf(request), id, shared, { ip: request.ip });
  });
}

/** A malformed id is as unknown as a foreign one. */
function threadId(params: unknown): string {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new AppError('THREAD_NOT_FOUND');
  return parsed.data.threadId;
}
