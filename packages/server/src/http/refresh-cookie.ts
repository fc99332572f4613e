import type { FastifyReply, FastifyRequest } from 'fastify';
import { REFRESH_COOKIE } from '@tally/protocol';

export type CookieSecurity = 'always' | 'never' | 'auto';

/**
 * The refresh token's home in a browser: httpOnly (no script reads it), SameSite=Strict (no other
 * site sends it), scoped to the auth routes, Secure whenever the request came over HTTPS (or
 * always, by configuration). The access token never goes in a cookie.
 */
export function setRefreshCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number, security: CookieSecurity): void {
  void reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: security === 'always' || (security === 'auto' && request.protocol === 'https'),
    path: '/v1/auth',
    maxAge: maxAgeSeconds,
  });
}

export function clearRefreshCookie(reply: FastifyReply): void {
  void reply.clearCookie(REFRESH_COOKIE, { path: '/v1/auth' });
}

export function refreshCookieOf(request: FastifyRequest): string | undefined {
  return request.cookies[REFRESH_COOKIE];
}
