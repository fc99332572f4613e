import { AppError } from '../app-error.js';
import type { Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import type { AccessClaims, AccessTokens } from './access-tokens.js';
import { CREDENTIALS_REVOKED_CHANNEL, publishRevocation } from './credential-revocation.js';

export interface SessionInfo {
  id: string;
  device: string;
  ip: string;
  createdAt: string;
  lastSeenAt: string;
  /** The session the request came from. */
  current: boolean;
}

/** What the user's sockets are told on `user-control:<id>`: these sessions are over. */
export interface SessionsRevokedMessage {
  type: 'sessions_revoked';
  sessionIds: string[];
}

/**
 * Every node hears every revocation here (besides the user's own control channel, which their
 * sockets follow): what a node remembers of sessions (session-standing-cache.ts) is forgotten at once.
 */
export const SESSIONS_REVOKED_CHANNEL = CREDENTIALS_REVOKED_CHANNEL;

/** A session and its account as they are now; `account` null when the account is gone. */
export interface SessionStanding {
  sessionId: string;
  userId: string;
  account: { email: string; role: 'admin' | 'member'; disabled: boolean } | null;
}

export interface SessionService {
  list(userId: string, currentSessionId: string | undefined): Promise<SessionInfo[]>;
  /** SESSION_NOT_FOUND for a session of another user or one already over. */
  revoke(userId: string, sessionId: string, reason: string): Promise<void>;
  /** Every session of the user but one (after a password change, say); how many ended. */
  revokeAllExcept(userId: string, keepSessionId: string | undefined, reason: string): Promise<number>;
  /**
   * The account was disabled or deleted: every session of it ends, and every socket of it closes
   * on every node, whatever credential (session, API key ticket) opened it.
   */
  closeAccount(userId: string, reason: string): Promise<void>;
  isActive(sessionId: string): Promise<boolean>;
  /**
   * The session with its account's state, in one read; null when the session is over or unknown
   * (but a session of a disabled account answers with `account.disabled`, even when it is over).
   */
  standing(sessionId: string): Promise<SessionStanding | null>;
}

/**
 * The sessions a user sees and ends. Revoking one also ends its refresh tokens and, through the
 * bus, closes its sockets on every node within a moment.
 */
export function createSessionService(deps: {
  db: Db;
  bus: Bus;
  /** Told of every session ended, e.g. the audit log. */
  onSecurityEvent?: (event: { action: string; userId: string; ip: string; details: Record<string, unknown> }) => Promise<void> | void;
  now?: () => Date;
}): SessionService {
  const { db, bus } = deps;
  const now = deps.now ?? (() => new Date());

  async function revokeWhere(userId: string, ids: string[] | 'all-but', keep: string | undefined, reason: string): Promise<string[]> {
    let query = db
      .updateTable('auth_sessions')
      .set({ revoked_at: now(), revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (ids === 'all-but') {
      if (keep) query = query.where('id', '!=', keep);
    } else {
      query = query.where('id', 'in', ids);
    }
    const revoked = (await query.returning('id').execute()).map((r) => r.id);
    if (revoked.length > 0) {
      await db.updateTable('refresh_tokens').set({ revoked_at: now() }).where('session_id', 'in', revoked).where('revoked_at', 'is', null).execute();
      await publishRevocation(bus, userId, { type: 'sessions_revoked', sessionIds: revoked });
      await deps.onSecurityEvent?.({ action: 'auth.session_revoked', userId, ip: '', details: { sessionIds: revoked, reason } });
    }
    return revoked;
  }

  return {
    async list(userId, currentSessionId) {
      const rows = await db
        .selectFrom('auth_sessions')
        .select(['id', 'device', 'ip', 'created_at', 'last_seen_at'])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('last_seen_at', 'desc')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        device: r.device,
        ip: r.ip,
        createdAt: new Date(r.created_at).toISOString(),
        lastSeenAt: new Date(r.last_seen_at).toISOString(),
        current: r.id === currentSessionId,
      }));
    },
    async revoke(userId, sessionId, reason) {
      const revoked = await revokeWhere(userId, [sessionId], undefined, reason);
      if (revoked.length === 0) throw new AppError('SESSION_NOT_FOUND');
    },
    async revokeAllExcept(userId, keepSessionId, reason) {
      return (await revokeWhere(userId, 'all-but', keepSessionId, reason)).length;
    },
    async closeAccount(userId, reason) {
      await revokeWhere(userId, 'all-but', undefined, reason);
      await publishRevocation(bus, userId, { type: 'account_closed', userId });
    },
    async isActive(sessionId) {
      const row = await db.selectFrom('auth_sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirst();
      return row !== undefined && row.revoked_at === null;
    },
    async standing(sessionId) {
      const row = await db
        .selectFrom('auth_sessions as s')
        .leftJoin('users as u', 'u.id', 's.user_id')
        .select(['s.user_id', 's.revoked_at', 'u.id as account_id', 'u.email', 'u.role', 'u.disabled_at'])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
      if (!row) return null;
      const account = row.account_id !== null && row.email !== null && row.role !== null ? { email: row.email, role: row.role, disabled: row.disabled_at !== null } : null;
      // A session ended because its account was disabled still tells so: its token answers
      // AUTH_ACCOUNT_DISABLED (what the user must know), not AUTH_SESSION_REVOKED.
      if (row.revoked_at !== null && !account?.disabled) return null;
      return { sessionId, userId: row.user_id, account };
    },
  };
}

/**
 * Access tokens that also die with their session: a token of a revoked session (logged out,
 * revoked from another device, password changed, refresh token replayed) is refused at once,
 * not at its expiry.
 */
export function withSessionCheck(tokens: AccessTokens, sessions: SessionService): AccessTokens {
  return {
    ttlSeconds: tokens.ttlSeconds,
    sign: (claims) => tokens.sign(claims),
    async verify(token): Promise<AccessClaims> {
      const claims = await tokens.verify(token);
      if (!claims.sessionId || !(await sessions.isActive(claims.sessionId))) throw new AppError('AUTH_SESSION_REVOKED');
      return claims;
    },
  };
}
