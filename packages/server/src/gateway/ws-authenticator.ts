import { WS_BEARER_PREFIX, WS_SUBPROTOCOL, WsConnectQuerySchema, type ErrorCode } from '@tally/protocol';
import type { ApiKeyStanding } from '../auth/api-keys.js';
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js';
import type { SessionStanding } from '../auth/session-service.js';
import type { TicketClaims, WsTickets } from '../auth/ws-tickets.js';

/**
 * Decides who an upgrade request is, before the upgrade completes: a single-use `?ticket=`, or
 * the subprotocols `tally.v1` + `bearer.<accessToken>`. Null means refuse with 401: no valid
 * credential, its session over (or its API key revoked), or its account gone or disabled. The
 * claims returned carry the account's email and role as they are now.
 */
export function createWsAuthenticator(deps: {
  /** Signature and expiry only: the session is checked here, through `sessionStanding`. */
  tokens: AccessTokens;
  tickets: WsTickets;
  /** The session with its account (one read, or the node's short-lived memory of it). */
  sessionStanding: (sessionId: string) => Promise<SessionStanding | null>;
  /** Claims of a ticket issued under an API key: null unless the key still holds and its account is enabled. */
  apiKeyClaims: (claims: AccessClaims & { apiKeyId: string }) => Promise<AccessClaims | null>;
}) {
  async function bySession(claims: AccessClaims): Promise<AccessClaims | null> {
    if (!claims.sessionId) return null;
    const standing = await deps.sessionStanding(claims.sessionId);
    if (!standing?.account || standing.account.disabled || standing.userId !== claims.userId) return null;
    return { ...claims, email: standing.account.email, role: standing.account.role };
  }

  return async function authenticate(request: { query: unknown; headers: Record<string, string | string[] | undefined> }): Promise<SocketClaims | null> {
    // No ticket (or not one string) falls through to the bearer subprotocol below.
    const query = WsConnectQuerySchema.safeParse(request.query ?? {});
    const ticket = query.success ? query.data.ticket : undefined;
    if (ticket !== undefined) {
      const claims: TicketClaims | null = await deps.tickets.redeem(ticket);
      if (!claims) return null;
      // A ticket outlives nothing: if its session ended (or its key was revoked) since, it is refused.
      if (claims.sessionId) return bySession(claims);
      // A key's ticket names the key's workspace (the principal it was issued to): the socket works there only.
      if (!claims.apiKeyId || !claims.workspaceId) return null;
      const keyClaims = await deps.apiKeyClaims({ ...claims, apiKeyId: claims.apiKeyId });
      // The key stays with the socket: revoking it ends the socket (see credential-revocation.ts).
      return keyClaims ? { ...keyClaims, apiKeyId: claims.apiKeyId, workspaceId: claims.workspaceId } : null;
    }
    const header = request.headers['sec-websocket-protocol'];
    const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
    const bearer = offered.find((p) => p.startsWith(WS_BEARER_PREFIX));
    if (!bearer || !offered.includes(WS_SUBPROTOCOL)) return null;
    let claims: AccessClaims;
    try {
      claims = await deps.tokens.verify(bearer.slice(WS_BEARER_PREFIX.length));
    } catch {
      return null;
    }
    return bySession(claims);
  };
}

/**
 * Who a socket is: the claims of its credential, and the API key a ticket was issued under with
 * the key's workspace (the only one such a socket works in).
 */
export type SocketClaims = AccessClaims & { apiKeyId?: string | null; workspaceId?: string | null };

/**
 * Whether the credential that opened a socket still holds, asked before each of its commands:
 * a session through the node's memory of sessions (which every revocation clears at once), a
 * key by one read of the key and its owner. The refusal's code, or null when it holds.
 */
export function createCredentialCheck(deps: {
  sessionStanding: (sessionId: string) => Promise<SessionStanding | null>;
  apiKeyStanding: (keyId: string) => Promise<ApiKeyStanding | null>;
}) {
  return async function credentialRefusal(held: { id: string; sessionId?: string; apiKeyId?: string }): Promise<ErrorCode | null> {
    if (held.sessionId) {
      const standing = await deps.sessionStanding(held.sessionId);
      if (!standing || standing.userId !== held.id) return 'AUTH_SESSION_REVOKED';
      return standing.account && !standing.account.disabled ? null : 'AUTH_ACCOUNT_DISABLED';
    }
    if (held.apiKeyId) {
      const standing = await deps.apiKeyStanding(held.apiKeyId);
      if (!standing || standing.ownerId !== held.id) return 'AUTH_INVALID_API_KEY';
      return standing.ownerDisabled ? 'AUTH_ACCOUNT_DISABLED' : null;
    }
    return 'AUTH_REQUIRED';
  };
}

/** The subprotocol the server answers with: never the bearer one, which would echo the token. */
export function selectSubprotocol(offered: Set<string>): string | false {
  return offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false;
}
