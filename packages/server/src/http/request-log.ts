import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * One log line per answered request: method, route pattern (`/v1/threads/:id`, never the URL
 * itself, so no ids, query strings or tickets), status and duration; the same figures feed the
 * request metrics. Health probes log at debug: a load balancer asks every few seconds.
 */
export function registerRequestLog(app: FastifyInstance, deps: { logger: Logger; observe?: (method: string, route: string, status: number, seconds: number) => void }): void {
  const write = (method: string, route: string, status: number, ms: number) => {
    deps.observe?.(method, route, status, ms / 1000);
    const line = { method, route, status, durationMs: Math.round(ms * 10) / 10 };
    if (route.startsWith('/v1/health')) deps.logger.debug(line, 'request');
    else deps.logger.info(line, 'request');
  };
  app.addHook('onResponse', async (request, reply) => {
    // An accepted WebSocket upgrade never sends an HTTP response: it was logged as a 101 below.
    if (!request.ws) write(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime);
  });
  // An upgrade that passed the route's guards is handed to the gateway now (one that was refused
  // got an HTTP answer, and its line, above).
  app.addHook('preHandler', async (request, reply) => {
    if (request.ws) write(request.method, request.routeOptions.url ?? 'unmatched', 101, reply.elapsedTime);
  });
}
