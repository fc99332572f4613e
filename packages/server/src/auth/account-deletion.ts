import { AppError } from '../app-error.js';
import type { RunService } from '../runs/run-service.js';
import type { Db } from '../store/database.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';
import type { UsageStore } from '../usage/usage-store.js';
import { verifyPassword } from './passwords.js';
import { settleWorkspacesOfDepartingOwner } from '../workspaces/departing-owner.js';

export interface AccountDeletion {
  /** DELETE /v1/me: the caller's own account, once its password is given again (AUTH_WRONG_CURRENT_PASSWORD). */
  deleteOwn(userId: string, password: string): Promise<{ email: string }>;
  /** DELETE /v1/admin/users/:id: any account but the reserved system owner (USER_NOT_FOUND). */
  deleteByAdmin(userId: string): Promise<{ email: string }>;
}

export interface AccountDeletionDeps {
  db: Db;
  runs: Pick<RunService, 'stop'>;
  /** Ends every session, refresh token and socket of the account, on every node. */
  endSessions(userId: string, reason: string): Promise<void>;
  /** The usage store, for records kept outside the relational database (ClickHouse). */
  usage: Pick<UsageStore, 'eraseWorkspace'>;
  /** How long to wait for the account's runs to stop before removing them anyway. */
  settleMs?: number;
  pollMs?: number;
}

/**
 * Deleting an account and everything of it. In order: the account is disabled (in the same
 * transaction as the last-admin check, so two admins cannot delete each other into none; the
 * last admin goes only with the last account), which
 * refuses its credentials and new runs from then on; its sessions and sockets end; its queued and
 * running runs are stopped, and awaited, so no worker writes into rows being removed; the usage of
 * its personal workspace (and of team workspaces it was alone in) is erased from a store outside the database; then the user row goes, and with it, by the schema's
 * cascading foreign keys, its usage records and rollups, threads, messages, runs and their events,
 * API keys, sessions, refresh tokens, password resets and single-sign-on links.
 */
export function createAccountDeletion(deps: AccountDeletionDeps): AccountDeletion {
  const { db } = deps;
  const settleMs = deps.settleMs ?? 10_000;
  const pollMs = deps.pollMs ?? 50;

  /** Disables the account; answers its email and the team workspaces that went with it. */
  async function disable(userId: string): Promise<{ email: string; removedWorkspaceIds: string[] }> {
    return db.transaction().execute(async (tx) => {
      // Active admins locked first, in id order, as user-admin.ts does for role changes.
      const admins = await tx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).orderBy('id').forUpdate().execute();
      const target = await tx.selectFrom('users').select(['id', 'email', 'role', 'disabled_at']).where('id', '=', userId).forUpdate().executeTakeFirst();
      if (!target) throw new AppError('USER_NOT_FOUND');
      const isActiveAdmin = target.role === 'admin' && target.disabled_at === null;
      if (isActiveAdmin && admins.filter((a) => a.id !== userId).length === 0) {
        // The last admin may go only with the last account: the server is then empty again and
        // its next sign-up administers it, as on a fresh server (a smoke run against one).
        const others = await tx.selectFrom('users').select('id').where('id', '!=', userId).where('id', '!=', SYSTEM_USER_ID).limit(1).execute();
        if (others.length > 0) throw new AppError('USER_LAST_ADMIN');
      }
      // No team workspace is left without an owner (workspaces/departing-owner.ts).
      const { removedWorkspaceIds } = await settleWorkspacesOfDepartingOwner(tx, userId);
      if (target.disabled_at === null) await tx.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', userId).execute();
      return { email: target.email, removedWorkspaceIds };
    });
  }

  /** Stops the account's runs until none is queued or running, or the wait is over. */
  async function stopRuns(userId: string): Promise<void> {
    const deadline = Date.now() + settleMs;
    for (;;) {
      const going = await db.selectFrom('runs').select('id').where('owner_id', '=', userId).where('status', 'in', ['queued', 'running']).execute();
      if (going.length === 0) return;
      for (const run of going) await deps.runs.stop(userId, run.id);
      // A worker that died holding a run frees it only when its lease expires: the rows go anyway.
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async function erase(userId: string): Promise<{ email: string }> {
    if (userId === SYSTEM_USER_ID) throw new AppError('USER_NOT_FOUND');
    const { email, removedWorkspaceIds } = await disable(userId);
    await deps.endSessions(userId, 'account deleted');
    await stopRuns(userId);
    // The personal workspace has the account's id; a team workspace the account was alone in went
    // in `disable`. A team workspace with other members keeps its data.
    for (const workspaceId of [userId, ...removedWorkspaceIds]) await deps.usage.eraseWorkspace?.(workspaceId);
    await db.deleteFrom('users').where('id', '=', userId).execute();
    return { email };
  }

  return {
    async deleteOwn(userId, password) {
      const user = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
      if (!user || !(await verifyPassword(user.password_hash, password))) throw new AppError('AUTH_WRONG_CURRENT_PASSWORD');
      return erase(userId);
    },
    deleteByAdmin: erase,
  };
}
