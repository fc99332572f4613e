import type { Db } from '../../src/store/database.js';
import { createPersonalWorkspace } from '../../src/workspaces/personal-workspace.js';

/**
 * An account written straight into the database, with the personal workspace every account has
 * (the owner of its usage rows), for tests that need an owner without signing anyone up.
 */
export async function insertAccount(db: Db, id: string, role: 'admin' | 'member' = 'member'): Promise<void> {
  await db.insertInto('users').values({ id, email: `${id}@test.invalid`, password_hash: 'x', role }).execute();
  await createPersonalWorkspace(db, id);
}
