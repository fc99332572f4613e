import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_COMPLETE_ROUTE, type ErrorCode, type OidcConfigResponse } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import type { AuthService } from '../auth/auth-service.js';
import type { OidcAccounts } from '../auth/oidc-accounts.js';
import { OIDC_FLOW_TTL_SECONDS, type OidcLogin } from '../auth/oidc-login.js';
import { clientInfoOf } from './client-info.js';
import { setRefreshCookie, type CookieSecurity } from './refresh-cookie.js';

/** Binds a sign-in to the browser that started it; read by the callback only. */
export const OIDC_FLOW_COOKIE = 'tally_oidc';
const FLOW_COOKIE_PATH = '/v1/auth/oidc';

export interface OidcRouteDeps {
  /** Null when no provider is configured: the routes answer AUTH_OIDC_DISABLED. */
  oidc: OidcLogin | null;
  accounts: OidcAccounts;
  auth: Pick<AuthService, 'startSession'>;
  refreshTtlSeconds: number;
  cookieSecurity: CookieSecurity;
  /** Told of sign-ins and refused callbacks (the audit log); awaited, so they are recorded before the answer. */
  onSecurityEvent?: (event: { action: string; userId: string | null; ip: string; details?: Record<string, unknown> }) => void | Promise<void>;
}

/**
 * Sign-in with OpenID Connect. `start` and `callback` are browser navigations, so they answer
 * with redirects: to the provider, then back to the web app at `/#/oidc-complete`, carrying
 * nothing secret (the session is the refresh cookie) or `?error=<code>` when refused.
 */
export async function oidcRoutes(app: FastifyInstance, deps: OidcRouteDeps): Promise<void> {
  const report = deps.onSecurityEvent ?? (() => undefined);
  const secure = (request: FastifyRequest) => deps.cookieSecurity === 'always' || (deps.cookieSecurity === 'auto' && request.protocol === 'https');

  app.get('/v1/auth/oidc/config', async (): Promise<OidcConfigResponse> =>
    deps.oidc ? { enabled: true, issuer: deps.oidc.issuer } : { enabled: false },
  );

  app.get('/v1/auth/oidc/start', async (request, reply) => {
    noStore(reply);
    try {
      if (!deps.oidc) return backToApp(reply, 'AUTH_OIDC_DISABLED');
      const { authorizationUrl, browserBinding } = await deps.oidc.start();
      // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation.
      void reply.setCookie(OIDC_FLOW_COOKIE, browserBinding, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secure(request),
        path: FLOW_COOKIE_PATH,
        maxAge: OIDC_FLOW_TTL_SECONDS,
      });
      return reply.redirect(authorizationUrl, 302);
    } catch (error) {
      return backToApp(reply, codeOf(request, error));
    }
  });

  app.get('/v1/auth/oidc/callback', async (request, reply) => {
    noStore(reply);
    // The binding is good for this one callback, whatever its outcome.
    void reply.clearCookie(OIDC_FLOW_COOKIE, { path: FLOW_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: secure(request) });
    if (!deps.oidc) return backToApp(reply, 'AUTH_OIDC_DISABLED');
    try {
      const identity = await deps.oidc.finish(rawQueryOf(request), request.cookies[OIDC_FLOW_COOKIE]);
      const { user, outcome } = await deps.accounts.userFor(identity);
      const session = await deps.auth.startSession(user, clientInfoOf(request));
      const details = { method: 'oidc', issuer: identity.issuer, subject: identity.subject, outcome };
      if (outcome === 'created') await report({ action: 'auth.signup', userId: user.id, ip: request.ip, details });
      await report({ action: 'auth.login', userId: user.id, ip: request.ip, details });
      setRefreshCookie(request, reply, session.refreshToken, deps.refreshTtlSeconds, deps.cookieSecurity);
      return reply.redirect(OIDC_COMPLETE_ROUTE, 302);
    } catch (error) {
      const code = codeOf(request, error);
      await report({ action: 'auth.login_failed', userId: null, ip: request.ip, details: { method: 'oidc', issuer: deps.oidc.issuer, code } });
      return backToApp(reply, code);
    }
  });
}

function backToApp(reply: FastifyReply, code: ErrorCode): FastifyReply {
  return reply.redirect(`${OIDC_COMPLETE_ROUTE}?error=${code}`, 302);
}

function codeOf(request: FastifyRequest, error: unknown): ErrorCode {
  if (isAppError(error)) return error.code;
  request.log.error({ err: error }, 'OpenID Connect sign-in failed');
  return 'INTERNAL';
}

function noStore(reply: FastifyReply): void {
  // The callback URL holds a code: keep it out of caches and out of the next page's Referer.
  void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
}

function rawQueryOf(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at === -1 ? '' : request.url.slice(at + 1);
}
