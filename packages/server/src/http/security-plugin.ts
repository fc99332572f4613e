import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { AppError } from '../app-error.js';
import type { OriginPolicy, OriginVerdict } from './origin-policy.js';

/** The error a refused request gets. */
export function originRefusal(verdict: Exclude<OriginVerdict, 'ok'>): AppError {
  return new AppError(verdict === 'host' ? 'AUTH_HOST_FORBIDDEN' : 'AUTH_ORIGIN_FORBIDDEN');
}

/**
 * Security headers on every answer (a strict CSP that lets the served web app work: same-origin
 * scripts and sockets, inline styles for charts) and CORS limited to the configured origins.
 */
export async function registerSecurity(app: FastifyInstance, deps: { origins: OriginPolicy }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cors, {
    // Only configured origins get CORS headers (no host given: same-origin pages need none).
    origin: (origin, callback) => callback(null, origin !== undefined && deps.origins.corsAllowed(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
  });
  // A state-changing request from a page of a foreign origin, or naming a host that is not this
  // server (DNS rebinding), is refused outright (CSRF defence in depth).
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const verdict = deps.origins.check(request.headers.origin, request.headers.host);
    if (verdict !== 'ok') throw originRefusal(verdict);
  });
}
