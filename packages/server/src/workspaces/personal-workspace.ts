import type { Db } from '../store/database.js';

/** The name a personal workspace gets; its person may rename it. */
export const PERSONAL_WORKSPACE_NAME = 'Personal';

/**
 * Makes a new account's personal workspace, which it owns alone. Called inside the transaction
 * that creates the account (every path: sign-up, sign-in with a provider, `tally user create`), so
 * no account exists without one; accounts from before workspaces got theirs from migration 0013.
 * Its id is the person's (migration 0015 re-keyed the older ones): what a person owned before
 * workspaces is, under the same id, what their personal workspace owns.
 */
export async function createPersonalWorkspace(executor: Db, userId: string): Promise<string> {
  const id = userId;
  await executor.insertInto('workspaces').values({ id, name: PERSONAL_WORKSPACE_NAME, personal_of: userId }).execute();
  await executor.insertInto('workspace_members').values({ workspace_id: id, user_id: userId, role: 'owner' }).execute();
  return id;
}
