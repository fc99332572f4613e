import crypto from 'node:crypto';
import type { PasswordResetIssued } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';
import type { PasswordPolicy } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { hashSecretToken } from '../secret-token-hash.js';

/** How long an admin-issued reset token stays good: long enough to hand over, short enough to expire unused. */
export const RESET_TOKEN_TTL_MS = 24 * 3600 * 1000;

/**
 * Admin-issued password resets. The admin gets a one-time token (shown once, stored as sha256:
 * 256 random bits) and hands it to the user, who sets a new password with it; the admin never
 * knows the password. A new token replaces any unused one; redeeming it ends every session of
 * the user (`endSessions`, which also closes their sockets).
 */
export interface PasswordResets {
  /** USER_NOT_FOUND for an unknown user. */
  issue(userId: string, issuedBy: string): Promise<PasswordResetIssued>;
  /** AUTH_INVALID_RESET_TOKEN unless the token is known, unused and unexpired; AUTH_WEAK_PASSWORD. Returns the user. */
  redeem(token: string, password: string): Promise<{ userId: string }>;
}

export function createPasswordResets(deps: {
  db: Db;
  passwords: PasswordPolicy;
  endSessions: (userId: string, reason: string) => Promise<void>;
  now?: () => Date;
}): PasswordResets {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async issue(userId, issuedBy) {
      if (userId === SYSTEM_USER_ID) throw new AppError('USER_NOT_FOUND');
      const token = crypto.randomBytes(32).toString('base64url');
      const expiresAt = new Date(now().getTime() + RESET_TOKEN_TTL_MS);
      await db.transaction().execute(async (tx) => {
        const user = await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
        if (!user) throw new AppError('USER_NOT_FOUND');
        await tx.updateTable('password_resets').set({ used_at: now() }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
        await tx
          .insertInto('password_resets')
          .values({ id: crypto.randomUUID(), user_id: userId, token_hash: hashSecretToken(token), expires_at: expiresAt, created_by: issuedBy })
          .execute();
      });
      return { resetToken: token, expiresAt: expiresAt.toISOString() };
    },

    async redeem(token, password) {
      const pending = await db
        .selectFrom('password_resets as r')
        .innerJoin('users as u', 'u.id', 'r.user_id')
        .select(['r.id', 'u.email'])
        .where('r.token_hash', '=', hashSecretToken(token))
        .where('r.used_at', 'is', null)
        .where('r.expires_at', '>', now())
        .executeTakeFirst();
      if (!pending) throw new AppError('AUTH_INVALID_RESET_TOKEN');
      // A weak password is refused before the token is spent, so the user can try another.
      deps.passwords.assertAcceptable(password, pending.email);
      const passwordHash = await hashPassword(password);
      const userId = await db.transaction().execute(async (tx) => {
        // Taking the token is one conditional update: of two concurrent redemptions, one wins.
        const taken = await tx
          .updateTable('password_resets')
          .set({ used_at: now() })
          .where('id', '=', pending.id)
          .where('used_at', 'is', null)
          .returning('user_id')
          .executeTakeFirst();
        if (!taken) throw new AppError('AUTH_INVALID_RESET_TOKEN');
        await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', taken.user_id).execute();
        return taken.user_id;
      });
      await deps.endSessions(userId, 'password reset');
      return { userId };
    },
  };
}

