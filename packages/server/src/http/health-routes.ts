import type { FastifyInstance } from 'fastify';
import type { Health } from '@tally/protocol';

export async function healthRoutes(app: FastifyInstance, deps: { engines: Health['engines']; version: string }): Promise<void> {
  app.get('/v1/health', async (): Promise<Health> => ({ status: 'ok', version: deps.version, engines: deps.engines }));
}
