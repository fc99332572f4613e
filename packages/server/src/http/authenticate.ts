import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js';
import type { SessionStanding } from '../auth/session-service.js';
import { isApiKey, type ApiKeys } from '../auth/api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticator; identity comes only from the bearer credential. */
    auth: Principal | null;
  }
}

/** Who a request is and what its credential allows. */
export interface Principal extends AccessClaims {
  /** How the request proved it: a signed-in person's access token, or an API key. */
  via: 'access-token' | 'api-key';
  /** An access token may do all its user may (`full`); a key only what its scopes say. */
  scopes: readonly ApiKeyScope[];
  /** The key used, when `via` is `api-key`. */
  apiKeyId: string | null;
  /** The workspace the key works in, when `via` is `api-key` (it works nowhere else); null for a person. */
  workspaceId: string | null;
}

/**
 * What a route needs (see route-access.ts, the table every API route is in):
 * - `public`: nothing; `gateway`: the WebSocket gateway authenticates the upgrade itself;
 * - `usage:write`: any credential allowed to upload usage (an access token, or a key with `usage:write` or `full`);
 * - `full`: an access token or a `full` key: the user's own data;
 * - `signed-in`: an access token only, no API key (managing API keys: a leaked key cannot mint more);
 * - `admin`: an admin's access token (AUTH_FORBIDDEN for a member, AUTH_SCOPE_DENIED for a key).
 */
export type RouteAccess = 'public' | 'gateway' | 'usage:write' | 'full' | 'signed-in' | 'admin';
export type GuardedAccess = Exclude<RouteAccess, 'public' | 'gateway'>;

export interface Authenticator {
  /**
   * Who the request is, from `Authorization: Bearer <access token | API key>`, with the account's
   * role and state read now (a disabled account is refused at once); sets request.auth.
   */
  authenticate(request: FastifyRequest): Promise<Principal>;
  /**
   * A preHandler that admits only requests whose credential allows `access`. The one guard of
   * the API: registerRouteAccess (route-access.ts) puts it on every route from ROUTE_ACCESS.
   */
  require(access: GuardedAccess): (request: FastifyRequest) => Promise<void>;
}

export function createAuthenticator(deps: {
  /** Signature and expiry only: the session is checked here, with the account, in one read. */
  tokens: AccessTokens;
  /** The database's `verify`, read fresh on every request, or a node's memory of it for OTLP (api-key-cache.ts). */
  apiKeys: Pick<ApiKeys, 'verify'>;
  /** The session's standing: read fresh on every request (a role change applies to the next one), or from the node's memory of it for OTLP. */
  sessionStanding: (sessionId: string) => Promise<SessionStanding | null>;
}): Authenticator {
  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) throw new AppError('AUTH_REQUIRED');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('AUTH_INVALID_TOKEN');
    const credential = match[1]!;
    let principal: Principal;
    if (isApiKey(credential)) {
      const key = await deps.apiKeys.verify(credential);
      if (!key) throw new AppError('AUTH_INVALID_API_KEY');
      if (key.owner.disabled) throw new AppError('AUTH_ACCOUNT_DISABLED');
      const { id, email, role } = key.owner;
      principal = { userId: id, email, role, via: 'api-key', scopes: key.scopes, apiKeyId: key.keyId, workspaceId: key.workspaceId };
    } else {
      const claims = await deps.tokens.verify(credential);
      // The token says who; the database says whether its session is open and what they are now (role, disabled).
      const standing = claims.sessionId ? await deps.sessionStanding(claims.sessionId) : null;
      if (!standing) throw new AppError('AUTH_SESSION_REVOKED');
      const account = standing.userId === claims.userId ? standing.account : null;
      if (!account) throw new AppError('AUTH_INVALID_TOKEN');
      if (account.disabled) throw new AppError('AUTH_ACCOUNT_DISABLED');
      principal = { ...claims, email: account.email, role: account.role, via: 'access-token', scopes: ['full'], apiKeyId: null, workspaceId: null };
    }
    request.auth = principal;
    return principal;
  }

  const principalOf = (request: FastifyRequest) => (request.auth ? Promise.resolve(request.auth) : authenticate(request));

  return {
    authenticate,
    require(access) {
      return async (request) => assertAllowed(await principalOf(request), access);
    },
  };
}

/** Throws AUTH_SCOPE_DENIED or AUTH_FORBIDDEN unless the principal may do what `access` says. */
export function assertAllowed(principal: Principal, access: GuardedAccess): void {
  const denied = (why: string) => new AppError('AUTH_SCOPE_DENIED', why);
  switch (access) {
    case 'usage:write':
      if (!principal.scopes.includes('usage:write') && !principal.scopes.includes('full')) throw denied('This API key may not upload usage.');
      return;
    case 'full':
      if (!principal.scopes.includes('full')) throw denied(`This API key's scopes (${principal.scopes.join(', ')}) do not allow this request.`);
      return;
    case 'signed-in':
      if (principal.via !== 'access-token') throw denied('API keys cannot do this: sign in.');
      return;
    case 'admin':
      if (principal.role !== 'admin') throw new AppError('AUTH_FORBIDDEN');
      if (principal.via !== 'access-token') throw denied('Administration takes a signed-in administrator, not an API key.');
      return;
    default: {
      const never: never = access;
      throw new Error(`unknown access ${String(never)}`);
    }
  }
}

/** The authenticated user of a route behind the authenticator. */
export function userOf(request: FastifyRequest): Principal {
  if (!request.auth) throw new AppError('AUTH_REQUIRED');
  return request.auth;
}
