import type { Bus } from '../bus/bus.js';
import { CREDENTIALS_REVOKED_CHANNEL, parseRevocation, revokedBy, type HeldCredential } from './credential-revocation.js';

export interface CredentialCache<T> {
  /** `read()`'s answer, or a good one read for this key less than `ttlMs` ago, from memory. */
  get(key: string, read: () => Promise<T | null>): Promise<T | null>;
  /** Stops listening for revocations. */
  close(): Promise<void>;
}

/**
 * One node's memory of credentials found good (an open session, a live API key), so a burst of
 * requests or connects with one credential does not read the database once each. Safe because:
 * - an entry lives at most `ttlMs` (a change that sends no message, a role, shows within that);
 * - every revocation on any node (logout, revoke, password change, key revoked, account disabled
 *   or deleted) is published on CREDENTIALS_REVOKED_CHANNEL, and the entries it ends (revokedBy)
 *   are forgotten here at once;
 * - after the bus link comes back everything is forgotten (messages may have been lost), and an
 *   unreadable message forgets everything rather than guess;
 * - a read that overlapped any revocation message is not remembered (it may predate it).
 * Only good answers are kept (`heldBy` names what ends them): a refused credential is read again
 * each time. Keys are the caller's: a secret's hash, never the secret itself.
 */
export async function createCredentialCache<T>(deps: {
  /** What a good answer holds, for revocations to match; null for an answer not to keep. */
  heldBy: (value: T, key: string) => HeldCredential | null;
  bus: Bus;
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}): Promise<CredentialCache<T>> {
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { value: T; held: HeldCredential; expiresAtMs: number }>();
  // Bumped by every revocation and reconnect; a read that saw it change is not kept.
  let generation = 0;

  const forgetAll = () => {
    generation++;
    entries.clear();
  };
  const unsubscribe = await deps.bus.subscribe(CREDENTIALS_REVOKED_CHANNEL, (raw) => {
    generation++;
    const message = parseRevocation(raw);
    if (!message) {
      entries.clear();
      return;
    }
    for (const [key, entry] of entries) if (revokedBy(message, entry.held) !== null) entries.delete(key);
  });
  const stopReconnect = deps.bus.onReconnect(forgetAll);

  return {
    async get(key, read) {
      const known = entries.get(key);
      if (known) {
        if (known.expiresAtMs > now()) return known.value;
        entries.delete(key);
      }
      const seen = generation;
      const value = await read();
      const held = value === null ? null : deps.heldBy(value, key);
      if (held && seen === generation) {
        if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(key, { value: value!, held, expiresAtMs: now() + deps.ttlMs });
      }
      return value;
    },
    async close() {
      stopReconnect();
      entries.clear();
      await unsubscribe();
    },
  };
}
