import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js';
import type { WsTickets } from '../auth/ws-tickets.js';

/**
 * Decides who an upgrade request is, before the upgrade completes: a single-use `?ticket=`, or
 * the subprotocols `tally.v1` + `bearer.<accessToken>`. Null means refuse with 401.
 */
export function createWsAuthenticator(deps: {
  tokens: AccessTokens;
  tickets: WsTickets;
  /** Whether what a ticket was issued under (a session, or an API key) still holds. */
  credentialActive: (claims: AccessClaims & { apiKeyId?: string | null }) => Promise<boolean>;
}) {
  return async function authenticate(request: { query: unknown; headers: Record<string, string | string[] | undefined> }): Promise<AccessClaims | null> {
    const ticket = (request.query as { ticket?: unknown } | undefined)?.ticket;
    if (typeof ticket === 'string' && ticket.length > 0) {
      const claims = await deps.tickets.redeem(ticket);
      // A ticket outlives nothing: if its session ended (or its key was revoked) since, it is refused.
      if (!claims || !(await deps.credentialActive(claims))) return null;
      return claims;
    }
    const header = request.headers['sec-websocket-protocol'];
    const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
    const bearer = offered.find((p) => p.startsWith(WS_BEARER_PREFIX));
    if (!bearer || !offered.includes(WS_SUBPROTOCOL)) return null;
    try {
      return await deps.tokens.verify(bearer.slice(WS_BEARER_PREFIX.length));
    } catch {
      return null;
    }
  };
}

/** The subprotocol the server answers with: never the bearer one, which would echo the token. */
export function selectSubprotocol(offered: Set<string>): string | false {
  return offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false;
}
