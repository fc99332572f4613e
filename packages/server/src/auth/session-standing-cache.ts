import type { Bus } from '../bus/bus.js';
import { createCredentialCache } from './credential-cache.js';
import type { SessionStanding } from './session-service.js';

export interface SessionStandingCache {
  /** As `read`, but an open session of an enabled account read less than `ttlMs` ago is answered from memory. */
  standing(sessionId: string): Promise<SessionStanding | null>;
  /** Stops listening for revocations. */
  close(): Promise<void>;
}

/**
 * One node's memory of "session S of user U is open and its account enabled", so a burst of
 * connects (a reconnect storm) or of OTLP exports does not read the database once per socket or
 * request; what makes it safe is credential-cache.ts's. Only good standings are kept.
 */
export async function createSessionStandingCache(deps: {
  read: (sessionId: string) => Promise<SessionStanding | null>;
  bus: Bus;
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}): Promise<SessionStandingCache> {
  const cache = await createCredentialCache<SessionStanding>({
    ...deps,
    heldBy: (standing, sessionId) => (standing.account && !standing.account.disabled ? { userId: standing.userId, sessionId } : null),
  });
  return { standing: (sessionId) => cache.get(sessionId, () => deps.read(sessionId)), close: () => cache.close() };
}
