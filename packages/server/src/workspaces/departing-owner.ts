import { sql } from 'kysely';
import { createAuditLog } from '../audit/audit-log.js';
import type { Db } from '../store/database.js';
import { ROLE_RANK } from './workspace-roles.js';

/** ROLE_RANK as SQL, to order members by it. */
const RANK = sql<number>`CASE role ${sql.join(
  Object.entries(ROLE_RANK).map(([role, rank]) => sql`WHEN ${role} THEN ${rank}::int`),
  sql` `,
)} END`;

/**
 * An account is being deleted: no team workspace may be left without an owner. Where it is the
 * only owner, ownership goes to the strongest remaining member (admins first, then members, then
 * viewers; the longest-standing among equals), audited as a handover; a team workspace it was alone
 * in goes with it (its ids are returned: usage kept outside the database is erased after the
 * transaction). Leaving is refused to a last owner (WORKSPACE_LAST_OWNER), deleting one's
 * account is not: it must always be possible. Run it inside the transaction that disables the
 * account (auth/account-deletion.ts); each workspace is locked first, as every membership change does.
 */
export async function settleWorkspacesOfDepartingOwner(tx: Db, userId: string): Promise<{ removedWorkspaceIds: string[] }> {
  const removedWorkspaceIds: string[] = [];
  const owned = await tx
    .selectFrom('workspace_members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select('w.id')
    .where('m.user_id', '=', userId)
    .where('m.role', '=', 'owner')
    .where('w.personal_of', 'is', null)
    .orderBy('w.id')
    .execute();
  for (const { id } of owned) {
    await tx.selectFrom('workspaces').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    const others = await tx
      .selectFrom('workspace_members')
      .select(['user_id', 'role'])
      .where('workspace_id', '=', id)
      .where('user_id', '!=', userId)
      .orderBy(RANK, 'desc')
      .orderBy('joined_at')
      .orderBy('user_id')
      .execute();
    if (others.length === 0) {
      await tx.deleteFrom('workspaces').where('id', '=', id).execute();
      removedWorkspaceIds.push(id);
      continue;
    }
    const successor = others[0]!;
    if (successor.role === 'owner') continue;
    await tx.updateTable('workspace_members').set({ role: 'owner' }).where('workspace_id', '=', id).where('user_id', '=', successor.user_id).execute();
    await createAuditLog({ db: tx }).record({
      action: 'workspace.ownership_transferred',
      // Done by the deletion, not by a person of the workspace.
      actorId: null,
      workspaceId: id,
      target: `user:${successor.user_id}`,
      details: { from: successor.role, to: 'owner', reason: 'the last owner\'s account was deleted', previousOwner: userId },
    });
  }
  return { removedWorkspaceIds };
}
