import crypto from 'node:crypto';
import type { InvitableRole, Workspace, WorkspaceInvitation } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Db } from '../store/database.js';
import type { WorkspaceActor, WorkspaceService } from './workspace-service.js';
import { mayInvite } from './workspace-roles.js';
import { hashSecretToken } from '../secret-token-hash.js';

/** The one who accepts: their account's email decides an invitation sent to an address. */
export interface InvitationAcceptor extends WorkspaceActor {
  email: string;
}

/**
 * Single-use invitations to a workspace, with a role and an expiry. The token is shown (or mailed)
 * once and stored as its sha256. Accepting takes it in one conditional update inside the
 * transaction that adds the member, so two uses of one link cannot both join.
 */
export interface WorkspaceInvitations {
  create(actor: WorkspaceActor, workspaceId: string, input: { role: InvitableRole; email?: string | undefined; expiresInHours: number }): Promise<{ invitation: WorkspaceInvitation; token: string }>;
  /** Newest first, every state. */
  list(workspaceId: string): Promise<WorkspaceInvitation[]>;
  revoke(actor: WorkspaceActor, workspaceId: string, invitationId: string): Promise<WorkspaceInvitation>;
  accept(acceptor: InvitationAcceptor, token: string): Promise<Workspace>;
}

type InvitationRow = {
  id: string;
  workspace_id: string;
  role: InvitableRole;
  email: string | null;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS = ['id', 'workspace_id', 'role', 'email', 'created_by', 'created_at', 'expires_at', 'accepted_at', 'revoked_at'] as const;

export function createWorkspaceInvitations(deps: { db: Db; audit: AuditLog; workspaces: WorkspaceService; now?: () => Date }): WorkspaceInvitations {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const toInvitation = (row: InvitationRow): WorkspaceInvitation => ({
    id: row.id,
    workspaceId: row.workspace_id,
    role: row.role,
    email: row.email,
    status: row.accepted_at ? 'accepted' : row.revoked_at ? 'revoked' : new Date(row.expires_at) <= now() ? 'expired' : 'pending',
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
  });

  return {
    async create(actor, workspaceId, { role, email, expiresInHours }) {
      return db.transaction().execute(async (tx) => {
        const workspace = await tx.selectFrom('workspaces').select(['id', 'personal_of']).where('id', '=', workspaceId).forUpdate().executeTakeFirst();
        const member = await tx.selectFrom('workspace_members').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', actor.userId).executeTakeFirst();
        const actorRole = workspace ? member?.role : undefined;
        if (!workspace || !actorRole) throw new AppError('WORKSPACE_NOT_FOUND');
        if (!mayInvite(actorRole, role)) throw new AppError('WORKSPACE_FORBIDDEN');
        if (workspace.personal_of !== null) throw new AppError('WORKSPACE_PERSONAL');
        const token = `twi_${crypto.randomBytes(32).toString('base64url')}`;
        const row = await tx
          .insertInto('workspace_invitations')
          .values({
            id: crypto.randomUUID(),
            workspace_id: workspaceId,
            role,
            email: email ?? null,
            token_hash: hashSecretToken(token),
            created_by: actor.userId,
            expires_at: new Date(now().getTime() + expiresInHours * 3_600_000),
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
        const invitation = toInvitation(row);
        await deps.audit.record(
          { action: 'workspace.invitation_created', actorId: actor.userId, workspaceId, target: `invitation:${row.id}`, ip: actor.ip ?? null, details: { role, email: email ?? null, expiresAt: invitation.expiresAt } },
          tx,
        );
        return { invitation, token };
      });
    },

    async list(workspaceId) {
      const rows = await db.selectFrom('workspace_invitations').select(COLUMNS).where('workspace_id', '=', workspaceId).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toInvitation);
    },

    async revoke(actor, workspaceId, invitationId) {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('workspace_invitations')
          .set({ revoked_at: now() })
          .where('id', '=', invitationId)
          .where('workspace_id', '=', workspaceId)
          .where('accepted_at', 'is', null)
          .where('revoked_at', 'is', null)
          .returning(COLUMNS)
          .executeTakeFirst();
        if (!row) {
          // Already used or revoked: told as it is; another workspace's id is as unknown as a missing one.
          const existing = await tx.selectFrom('workspace_invitations').select(COLUMNS).where('id', '=', invitationId).where('workspace_id', '=', workspaceId).executeTakeFirst();
          if (!existing) throw new AppError('WORKSPACE_INVITATION_NOT_FOUND');
          return toInvitation(existing);
        }
        await deps.audit.record({ action: 'workspace.invitation_revoked', actorId: actor.userId, workspaceId, target: `invitation:${row.id}`, ip: actor.ip ?? null, details: { role: row.role, email: row.email } }, tx);
        return toInvitation(row);
      });
    },

    async accept(acceptor, token) {
      const workspaceId = await db.transaction().execute(async (tx) => {
        const at = now();
        const row = await tx.selectFrom('workspace_invitations').select([...COLUMNS, 'accepted_by']).where('token_hash', '=', hashSecretToken(token)).forUpdate().executeTakeFirst();
        if (!row || row.accepted_at || row.revoked_at || new Date(row.expires_at) <= at) throw new AppError('WORKSPACE_INVITATION_INVALID');
        if (row.email !== null && row.email !== acceptor.email.toLowerCase()) throw new AppError('WORKSPACE_INVITATION_WRONG_EMAIL');
        const joined = await tx
          .insertInto('workspace_members')
          .values({ workspace_id: row.workspace_id, user_id: acceptor.userId, role: row.role })
          .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
          .returning('user_id')
          .executeTakeFirst();
        // The invitation stays unused for whoever it was meant for.
        if (!joined) throw new AppError('WORKSPACE_ALREADY_MEMBER');
        await tx.updateTable('workspace_invitations').set({ accepted_at: at, accepted_by: acceptor.userId }).where('id', '=', row.id).execute();
        await deps.audit.record(
          { action: 'workspace.invitation_accepted', actorId: acceptor.userId, workspaceId: row.workspace_id, target: `user:${acceptor.userId}`, ip: acceptor.ip ?? null, details: { invitationId: row.id, role: row.role } },
          tx,
        );
        return row.workspace_id;
      });
      return deps.workspaces.get(workspaceId, acceptor.userId);
    },
  };
}

