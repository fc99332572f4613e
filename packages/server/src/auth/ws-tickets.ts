import crypto from 'node:crypto';
import type { EphemeralStore } from '../kv/ephemeral-store.js';
import type { AccessClaims } from './access-tokens.js';

/**
 * Single-use WebSocket tickets: for clients (browsers) that cannot set headers on an upgrade.
 * A ticket is a random key in the ephemeral store, taken (read and deleted) on redemption.
 */
export interface WsTickets {
  issue(claims: TicketClaims): Promise<{ ticket: string; expiresIn: number }>;
  redeem(ticket: string): Promise<TicketClaims | null>;
}

/**
 * What a ticket holds: the principal it was issued to. Under an API key, the key and its
 * workspace (the only one the socket it opens works in); written and read by the server only.
 */
export type TicketClaims = AccessClaims & { apiKeyId?: string | null; workspaceId?: string | null };

export function createWsTickets(deps: { store: EphemeralStore; ttlSeconds: number }): WsTickets {
  return {
    async issue(claims) {
      const ticket = crypto.randomBytes(32).toString('base64url');
      await deps.store.set(`ws-ticket:${ticket}`, JSON.stringify(claims), deps.ttlSeconds * 1000);
      return { ticket, expiresIn: deps.ttlSeconds };
    },
    async redeem(ticket) {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(ticket)) return null;
      const value = await deps.store.take(`ws-ticket:${ticket}`);
      return value ? (JSON.parse(value) as TicketClaims) : null;
    },
  };
}
