import type { Bus } from '../bus/bus.js';
import { CREDENTIALS_REVOKED_CHANNEL, parseRevocation } from './credential-revocation.js';
import type { SessionStanding } from './session-service.js';

export interface SessionStandingCache {
  /** As `read`, but an open session of an enabled account read less than `ttlMs` ago is answered from memory. */
  standing(sessionId: string): Promise<SessionStanding | null>;
  /** Stops listening for revocations. */
  close(): Promise<void>;
}

/**
 * One node's memory of "session S of user U is open and its account enabled", so a burst of
 * connects (a reconnect storm) does not read the database once per socket. Safe because:
 * - an entry lives at most `ttlMs` (a role change, which sends no message, shows within that);
 * - every revocation on any node (logout, revoke, password change, account disabled, refresh
 *   replay) is published on CREDENTIALS_REVOKED_CHANNEL and forgets its sessions (or, for a closed
 *   account, all of the user's) here at once;
 * - after the bus link comes back everything is forgotten (messages may have been lost);
 * - a read that overlapped any revocation message is not remembered (it may predate it).
 * Only good standings are kept: a refused credential is read again each time.
 */
export async function createSessionStandingCache(deps: {
  read: (sessionId: string) => Promise<SessionStanding | null>;
  bus: Bus;
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}): Promise<SessionStandingCache> {
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { standing: SessionStanding; expiresAtMs: number }>();
  // Bumped by every revocation and reconnect; a read that saw it change is not kept.
  let generation = 0;

  const forgetAll = () => {
    generation++;
    entries.clear();
  };
  const unsubscribe = await deps.bus.subscribe(CREDENTIALS_REVOKED_CHANNEL, (raw) => {
    generation++;
    const message = parseRevocation(raw);
    switch (message?.type) {
      case 'sessions_revoked':
        for (const id of message.sessionIds) entries.delete(id);
        return;
      case 'account_closed':
        for (const [id, entry] of entries) if (entry.standing.userId === message.userId) entries.delete(id);
        return;
      case 'api_keys_revoked':
        // Sessions are not keys: nothing remembered here is concerned.
        return;
      default:
        // Unreadable: forget everything rather than guess.
        entries.clear();
    }
  });
  const stopReconnect = deps.bus.onReconnect(forgetAll);

  return {
    async standing(sessionId) {
      const known = entries.get(sessionId);
      if (known) {
        if (known.expiresAtMs > now()) return known.standing;
        entries.delete(sessionId);
      }
      const seen = generation;
      const standing = await deps.read(sessionId);
      if (standing?.account && !standing.account.disabled && seen === generation) {
        if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(sessionId, { standing, expiresAtMs: now() + deps.ttlMs });
      }
      return standing;
    },
    async close() {
      stopReconnect();
      entries.clear();
      await unsubscribe();
    },
  };
}
