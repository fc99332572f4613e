import crypto from 'node:crypto';
import type { AdminUser, UpdateUserRequest, UserRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import { hashPassword } from '../auth/passwords.js';
import { createPersonalWorkspace } from '../workspaces/personal-workspace.js';
import type { Db } from '../store/database.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';

/** What admins do to accounts. The reserved system owner of Tally's own usage is no account here. */
export interface UserAdmin {
  /** Every account, oldest first. */
  list(): Promise<AdminUser[]>;
  /**
   * Changes a user's role and/or disabled state; USER_NOT_FOUND for an unknown id, USER_LAST_ADMIN
   * when no active admin would be left. Disabling ends every session of the user (and their
   * sockets); their access tokens and API keys are refused from the next request.
   */
  update(userId: string, change: UpdateUserRequest): Promise<{ before: AdminUser; after: AdminUser }>;
  /**
   * A new account with its personal workspace, as sign-up makes, but with no usable password
   * (a random one nobody knows): the person sets theirs with a reset token. AUTH_EMAIL_TAKEN
   * when the email has an account.
   */
  create(email: string, role: UserRole): Promise<AdminUser>;
}

export function createUserAdmin(deps: {
  db: Db;
  /** Ends every credential of a disabled account (sessions, and sockets whatever opened them) on every node. */
  endSessions: (userId: string, reason: string) => Promise<void>;
  now?: () => Date;
}): UserAdmin {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async list() {
      const rows = await db
        .selectFrom('users')
        .select(['id', 'email', 'role', 'disabled_at', 'created_at'])
        .where('id', '!=', SYSTEM_USER_ID)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toAdminUser);
    },

    async update(userId, change) {
      if (userId === SYSTEM_USER_ID) throw new AppError('USER_NOT_FOUND');
      const result = await db.transaction().execute(async (tx) => {
        // Active admins are locked first, in id order, so two admins demoting or disabling each
        // other at once are serialized and cannot both pass the last-admin check.
        const admins = await tx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).orderBy('id').forUpdate().execute();
        const target = await tx
          .selectFrom('users')
          .select(['id', 'email', 'role', 'disabled_at', 'created_at'])
          .where('id', '=', userId)
          .forUpdate()
          .executeTakeFirst();
        if (!target) throw new AppError('USER_NOT_FOUND');
        const before = toAdminUser(target);
        const role = change.role ?? before.role;
        const disabled = change.disabled ?? before.disabled;
        const activeAdminsAfter = admins.filter((a) => a.id !== userId).length + (role === 'admin' && !disabled ? 1 : 0);
        if (activeAdminsAfter === 0) throw new AppError('USER_LAST_ADMIN');
        const updated = await tx
          .updateTable('users')
          .set({ role, disabled_at: disabled ? (target.disabled_at ?? now()) : null })
          .where('id', '=', userId)
          .returning(['id', 'email', 'role', 'disabled_at', 'created_at'])
          .executeTakeFirstOrThrow();
        return { before, after: toAdminUser(updated) };
      });
      if (result.after.disabled && !result.before.disabled) await deps.endSessions(userId, 'account disabled');
      return result;
    },

    async create(email, role) {
      const passwordHash = await hashPassword(crypto.randomBytes(32).toString('base64url'));
      const created = await db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('users')
          .values({ id: crypto.randomUUID(), email, password_hash: passwordHash, role })
          .onConflict((oc) => oc.column('email').doNothing())
          .returning(['id', 'email', 'role', 'disabled_at', 'created_at'])
          .executeTakeFirst();
        if (row) await createPersonalWorkspace(tx, row.id);
        return row;
      });
      if (!created) throw new AppError('AUTH_EMAIL_TAKEN');
      return toAdminUser(created);
    },
  };
}

function toAdminUser(row: { id: string; email: string; role: 'admin' | 'member'; disabled_at: Date | string | null; created_at: Date }): AdminUser {
  return { id: row.id, email: row.email, role: row.role, disabled: row.disabled_at !== null, createdAt: new Date(row.created_at).toISOString() };
}
