import crypto from 'node:crypto';
import type { AuditAction, Workspace, WorkspaceMember, WorkspaceRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ApiKeys } from '../auth/api-keys.js';
import type { Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { publishMembershipChange } from './membership-changes.js';
import { ROLE_PERMISSIONS, isLowerRole, mayChangeMember, roleAllows } from './workspace-roles.js';

/** Who acts, as authentication says, and from where (for the audit log). */
export interface WorkspaceActor {
  userId: string;
  ip?: string | null;
}

/**
 * Workspaces and their members. Every change runs in one transaction that first locks the
 * workspace's row, so two changes of one workspace (two owners stepping down at once) are decided
 * one after the other and the last-owner rule holds; its audit event is written in the same
 * transaction. A reduction of someone's access is announced on the bus after the commit. A member
 * who leaves or is removed takes the API keys they made there with them: revoked in the same
 * transaction (audited), so a key never outlives its maker's place in the workspace.
 */
export interface WorkspaceService {
  /** The user's role in the workspace now (read fresh: a change applies to the next request); null when not a member. */
  roleOf(workspaceId: string, userId: string): Promise<WorkspaceRole | null>;
  /** The user's workspaces, their personal one first. */
  list(userId: string): Promise<Workspace[]>;
  /** One workspace as its member sees it; WORKSPACE_NOT_FOUND for anyone else. */
  get(workspaceId: string, userId: string): Promise<Workspace>;
  /** A team workspace; the actor is its owner. */
  create(actor: WorkspaceActor, name: string): Promise<Workspace>;
  members(workspaceId: string): Promise<WorkspaceMember[]>;
  changeRole(actor: WorkspaceActor, workspaceId: string, userId: string, role: WorkspaceRole): Promise<WorkspaceMember>;
  /** Removes another member (the actor leaving is `leave`). */
  remove(actor: WorkspaceActor, workspaceId: string, userId: string): Promise<void>;
  leave(actor: WorkspaceActor, workspaceId: string): Promise<void>;
  /** The member becomes an owner and the actor (an owner) an admin. */
  transfer(actor: WorkspaceActor, workspaceId: string, userId: string): Promise<WorkspaceMember[]>;
}

export function createWorkspaceService(deps: {
  db: Db;
  bus: Bus;
  audit: AuditLog;
  apiKeys: Pick<ApiKeys, 'revokeMadeBy' | 'announceRevoked'>;
}): WorkspaceService {
  const { db } = deps;

  async function roleOf(workspaceId: string, userId: string, executor: Db = db): Promise<WorkspaceRole | null> {
    const row = await executor
      .selectFrom('workspace_members')
      .select('role')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role ?? null;
  }

  async function get(workspaceId: string, userId: string, executor: Db = db): Promise<Workspace> {
    const row = await executor
      .selectFrom('workspaces as w')
      .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
      .select(['w.id', 'w.name', 'w.personal_of', 'w.created_at', 'm.role'])
      .where('w.id', '=', workspaceId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('WORKSPACE_NOT_FOUND');
    return toWorkspace(row);
  }

  /** Locks the workspace for this transaction and reads the actor's and the target's roles. */
  async function lockForChange(tx: Db, actor: WorkspaceActor, workspaceId: string, userId: string) {
    const workspace = await tx.selectFrom('workspaces').select(['id', 'personal_of']).where('id', '=', workspaceId).forUpdate().executeTakeFirst();
    const actorRole = workspace ? await roleOf(workspaceId, actor.userId, tx) : null;
    if (!workspace || !actorRole) throw new AppError('WORKSPACE_NOT_FOUND');
    const targetRole = userId === actor.userId ? actorRole : await roleOf(workspaceId, userId, tx);
    if (!targetRole) throw new AppError('WORKSPACE_MEMBER_NOT_FOUND');
    return { personal: workspace.personal_of !== null, actorRole, targetRole };
  }

  async function assertAnotherOwner(tx: Db, workspaceId: string): Promise<void> {
    const { owners } = await tx
      .selectFrom('workspace_members')
      .select((eb) => eb.fn.countAll<string>().as('owners'))
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    if (Number(owners) <= 1) throw new AppError('WORKSPACE_LAST_OWNER');
  }

  const audit = (tx: Db, actor: WorkspaceActor, workspaceId: string, action: AuditAction, userId: string, details: Record<string, unknown>) =>
    deps.audit.record({ action, actorId: actor.userId, workspaceId, target: `user:${userId}`, ip: actor.ip ?? null, details }, tx);

  /** Sets `userId`'s role (null: out of the workspace), within the rules; announces a reduction once committed. */
  async function setMembership(actor: WorkspaceActor, workspaceId: string, userId: string, next: WorkspaceRole | null, action: AuditAction): Promise<void> {
    const self = userId === actor.userId;
    const { previous, revokedKeyIds } = await db.transaction().execute(async (tx) => {
      const { personal, actorRole, targetRole } = await lockForChange(tx, actor, workspaceId, userId);
      if (personal && next === null) throw new AppError('WORKSPACE_PERSONAL');
      if (!mayChangeMember(actorRole, targetRole, next, self)) throw new AppError('WORKSPACE_FORBIDDEN');
      if (next === targetRole) return { previous: targetRole, revokedKeyIds: [] };
      if (targetRole === 'owner') await assertAnotherOwner(tx, workspaceId);
      if (next === null) await tx.deleteFrom('workspace_members').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
      else await tx.updateTable('workspace_members').set({ role: next }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
      await audit(tx, actor, workspaceId, action, userId, next === null ? { role: targetRole } : { from: targetRole, to: next });
      const revoked = next === null ? await deps.apiKeys.revokeMadeBy(workspaceId, userId, tx) : [];
      for (const keyId of revoked) {
        await deps.audit.record(
          { action: 'api_key.revoked', actorId: actor.userId, workspaceId, target: `api_key:${keyId}`, ip: actor.ip ?? null, details: { reason: 'its maker left the workspace', maker: userId } },
          tx,
        );
      }
      return { previous: targetRole, revokedKeyIds: revoked };
    });
    await deps.apiKeys.announceRevoked(userId, revokedKeyIds);
    if (isLowerRole(next, previous) && next !== previous) await publishMembershipChange(deps.bus, { workspaceId, userId, role: next });
  }

  async function members(workspaceId: string): Promise<WorkspaceMember[]> {
    const rows = await db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.email', 'u.display_name', 'm.role', 'm.joined_at'])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('m.joined_at')
      .orderBy('m.user_id')
      .execute();
    return rows.map((r) => ({ userId: r.user_id, email: r.email, displayName: r.display_name, role: r.role, joinedAt: new Date(r.joined_at).toISOString() }));
  }

  const leave = (actor: WorkspaceActor, workspaceId: string) => setMembership(actor, workspaceId, actor.userId, null, 'workspace.member_left');

  return {
    roleOf: (workspaceId, userId) => roleOf(workspaceId, userId),

    async list(userId) {
      const rows = await db
        .selectFrom('workspaces as w')
        .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
        .select(['w.id', 'w.name', 'w.personal_of', 'w.created_at', 'm.role'])
        .where('m.user_id', '=', userId)
        .orderBy((eb) => eb('w.personal_of', 'is', null), 'asc')
        .orderBy('w.name')
        .orderBy('w.id')
        .execute();
      return rows.map(toWorkspace);
    },

    get: (workspaceId, userId) => get(workspaceId, userId),

    async create(actor, name) {
      return db.transaction().execute(async (tx) => {
        const id = crypto.randomUUID();
        await tx.insertInto('workspaces').values({ id, name, personal_of: null }).execute();
        await tx.insertInto('workspace_members').values({ workspace_id: id, user_id: actor.userId, role: 'owner' }).execute();
        await deps.audit.record({ action: 'workspace.created', actorId: actor.userId, workspaceId: id, target: `workspace:${id}`, ip: actor.ip ?? null, details: { name } }, tx);
        return get(id, actor.userId, tx);
      });
    },

    members,

    async changeRole(actor, workspaceId, userId, role) {
      await setMembership(actor, workspaceId, userId, role, 'workspace.member_role_changed');
      const member = (await members(workspaceId)).find((m) => m.userId === userId);
      if (!member) throw new AppError('WORKSPACE_MEMBER_NOT_FOUND');
      return member;
    },

    async remove(actor, workspaceId, userId) {
      if (userId === actor.userId) return leave(actor, workspaceId);
      await setMembership(actor, workspaceId, userId, null, 'workspace.member_removed');
    },

    leave,

    async transfer(actor, workspaceId, userId) {
      if (userId === actor.userId) throw new AppError('VALIDATION_FAILED', 'Hand the workspace over to another member.');
      await db.transaction().execute(async (tx) => {
        const { personal, actorRole, targetRole } = await lockForChange(tx, actor, workspaceId, userId);
        if (!roleAllows(actorRole, 'ownership.manage')) throw new AppError('WORKSPACE_FORBIDDEN');
        if (personal) throw new AppError('WORKSPACE_PERSONAL');
        await tx.updateTable('workspace_members').set({ role: 'owner' }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
        await tx.updateTable('workspace_members').set({ role: 'admin' }).where('workspace_id', '=', workspaceId).where('user_id', '=', actor.userId).execute();
        await audit(tx, actor, workspaceId, 'workspace.ownership_transferred', userId, { from: targetRole, to: 'owner', previousOwnerNow: 'admin' });
      });
      await publishMembershipChange(deps.bus, { workspaceId, userId: actor.userId, role: 'admin' });
      return members(workspaceId);
    },
  };
}

function toWorkspace(row: { id: string; name: string; personal_of: string | null; created_at: Date; role: WorkspaceRole }): Workspace {
  return {
    id: row.id,
    name: row.name,
    personal: row.personal_of !== null,
    role: row.role,
    permissions: [...ROLE_PERMISSIONS[row.role]],
    createdAt: new Date(row.created_at).toISOString(),
  };
}
