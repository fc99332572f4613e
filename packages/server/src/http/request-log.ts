import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * One log line per answered request: method, route pattern (`/v1/threads/:id`, never the URL
 * itself, so no ids, query strings or tickets), status and duration; the same figures feed the
 * request metrics. Health probes log at debug: a load balancer asks every few seconds.
 */
export function registerRequestLog(app: FastifyInstance, deps: { logger: Logger; observe?: (method: string, route: string, status: number, seconds: number) => void }): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    deps.observe?.(request.method, route, status, ms / 1000);
    const line = { method: request.method, route, status, durationMs: Math.round(ms * 10) / 10 };
    if (route.startsWith('/v1/health')) deps.logger.debug(line, 'request');
    else deps.logger.info(line, 'request');
  });
}
