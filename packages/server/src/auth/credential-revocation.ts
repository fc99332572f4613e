import type { ErrorCode } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';

/**
 * What ends live credentials, as the bus carries it. Sent on the user's control channel (their
 * sockets on every node follow it) and on CREDENTIALS_REVOKED_CHANNEL (every node's memory of
 * sessions, session-standing-cache.ts, forgets at once).
 * - `sessions_revoked`: log-out, revoke, password change, refresh-token replay;
 * - `api_keys_revoked`: the keys (and the sockets opened with tickets issued under them) are over;
 * - `account_closed`: the account was disabled or deleted: every credential of it is over.
 */
export type CredentialsRevokedMessage =
  | { type: 'sessions_revoked'; sessionIds: string[] }
  | { type: 'api_keys_revoked'; keyIds: string[] }
  | { type: 'account_closed'; userId: string };

/** Every node hears every revocation here, besides the user's own control channel. */
export const CREDENTIALS_REVOKED_CHANNEL = 'sessions-revoked';

/** The credential a socket or request holds: its user, and the session or API key it came from. */
export interface HeldCredential {
  userId: string;
  sessionId?: string | undefined;
  apiKeyId?: string | undefined;
}

/** Publishes a revocation to the user's sockets and to every node's caches. */
export async function publishRevocation(bus: Bus, userId: string, message: CredentialsRevokedMessage): Promise<void> {
  const raw = JSON.stringify(message);
  await Promise.all([bus.publish(channels.userControl(userId), raw), bus.publish(CREDENTIALS_REVOKED_CHANNEL, raw)]);
}

/** Reads a bus message; null for anything that is not one of the revocations above. */
export function parseRevocation(raw: string): CredentialsRevokedMessage | null {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const m = message as Record<string, unknown>;
  const ids = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (m['type'] === 'sessions_revoked' && ids(m['sessionIds'])) return { type: 'sessions_revoked', sessionIds: m['sessionIds'] as string[] };
  if (m['type'] === 'api_keys_revoked' && ids(m['keyIds'])) return { type: 'api_keys_revoked', keyIds: m['keyIds'] as string[] };
  if (m['type'] === 'account_closed' && typeof m['userId'] === 'string') return { type: 'account_closed', userId: m['userId'] };
  return null;
}

/** The error code that ends `held` by this revocation, or null when it is not concerned. */
export function revokedBy(message: CredentialsRevokedMessage, held: HeldCredential): ErrorCode | null {
  switch (message.type) {
    case 'sessions_revoked':
      return held.sessionId !== undefined && message.sessionIds.includes(held.sessionId) ? 'AUTH_SESSION_REVOKED' : null;
    case 'api_keys_revoked':
      return held.apiKeyId !== undefined && message.keyIds.includes(held.apiKeyId) ? 'AUTH_INVALID_API_KEY' : null;
    case 'account_closed':
      return message.userId === held.userId ? 'AUTH_ACCOUNT_DISABLED' : null;
    default: {
      const never: never = message;
      return never;
    }
  }
}
