import crypto from 'node:crypto';
import type { User, UserRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';
import type { AccessClaims } from './access-tokens.js';
import { toUser } from './auth-service.js';
import type { PasswordPolicy } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { createPersonalWorkspace } from '../workspaces/personal-workspace.js';

/** A user as authorization sees them: read fresh from the database on every request. */
export interface Account {
  id: string;
  email: string;
  role: UserRole;
  disabled: boolean;
}

/**
 * Accounts as they are now. Nothing is cached: a role change or a disable applies to the very
 * next request, on every node.
 */
export interface Accounts {
  /** The account, or null when there is none (the reserved system owner is none). */
  find(userId: string): Promise<Account | null>;
  /**
   * Claims a ticket or token carried, brought up to date (role and email as they are now); null
   * when the account is gone or disabled, or when there were no claims.
   */
  activeClaims<C extends AccessClaims>(claims: C | null): Promise<C | null>;
  /** Creates an account directly (`tally user create`); AUTH_EMAIL_TAKEN when the email has one. */
  create(input: { email: string; password: string; role: UserRole }): Promise<Account>;
  /** The user as they see themselves (GET /v1/me); USER_NOT_FOUND when the account is gone. */
  profile(userId: string): Promise<User>;
  /** Sets or (null) clears the display name, already trimmed and checked. */
  updateProfile(userId: string, change: { displayName: string | null }): Promise<User>;
}

export function createAccounts(deps: { db: Db; passwords: PasswordPolicy }): Accounts {
  const { db } = deps;

  async function find(userId: string): Promise<Account | null> {
    if (userId === SYSTEM_USER_ID) return null;
    const row = await db.selectFrom('users').select(['id', 'email', 'role', 'disabled_at']).where('id', '=', userId).executeTakeFirst();
    return row ? { id: row.id, email: row.email, role: row.role, disabled: row.disabled_at !== null } : null;
  }

  return {
    find,

    async activeClaims(claims) {
      if (!claims) return null;
      const account = await find(claims.userId);
      if (!account || account.disabled) return null;
      return { ...claims, email: account.email, role: account.role };
    },

    async create({ email, password, role }) {
      deps.passwords.assertAcceptable(password, email);
      const passwordHash = await hashPassword(password);
      const row = await db.transaction().execute(async (tx) => {
        const created = await tx
          .insertInto('users')
          .values({ id: crypto.randomUUID(), email, password_hash: passwordHash, role })
          .onConflict((oc) => oc.column('email').doNothing())
          .returning(['id', 'email', 'role'])
          .executeTakeFirst();
        if (created) await createPersonalWorkspace(tx, created.id);
        return created;
      });
      if (!row) throw new AppError('AUTH_EMAIL_TAKEN');
      return { id: row.id, email: row.email, role: row.role, disabled: false };
    },

    async profile(userId) {
      const row = await db.selectFrom('users').select(['id', 'email', 'role', 'display_name']).where('id', '=', userId).executeTakeFirst();
      if (!row || userId === SYSTEM_USER_ID) throw new AppError('USER_NOT_FOUND');
      return toUser(row);
    },

    async updateProfile(userId, { displayName }) {
      if (userId === SYSTEM_USER_ID) throw new AppError('USER_NOT_FOUND');
      const row = await db
        .updateTable('users')
        .set({ display_name: displayName })
        .where('id', '=', userId)
        .returning(['id', 'email', 'role', 'display_name'])
        .executeTakeFirst();
      if (!row) throw new AppError('USER_NOT_FOUND');
      return toUser(row);
    },
  };
}
