import type { FastifyRequest } from 'fastify';
import { AppError } from '../app-error.js';
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `requireUser` hook; identity comes only from the bearer token. */
    auth: AccessClaims | null;
  }
}

/** A preHandler that admits only requests with a valid bearer access token. */
export function createRequireUser(tokens: AccessTokens) {
  return async function requireUser(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    if (!header) throw new AppError('AUTH_REQUIRED');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('AUTH_INVALID_TOKEN');
    request.auth = await tokens.verify(match[1]!);
  };
}

/** The authenticated user of a route behind requireUser. */
export function userOf(request: FastifyRequest): AccessClaims {
  if (!request.auth) throw new AppError('AUTH_REQUIRED');
  return request.auth;
}
