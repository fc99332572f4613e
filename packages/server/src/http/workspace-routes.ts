import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  AcceptInvitationRequestSchema,
  AuditQuerySchema,
  ChangeWorkspaceRoleRequestSchema,
  CreateInvitationRequestSchema,
  CreateWorkspaceRequestSchema,
  IdSchema,
  TransferWorkspaceRequestSchema,
  type AuditPage,
  type CreatedInvitation,
  type Workspace,
  type WorkspaceInvitation,
  type WorkspaceInvitationList,
  type WorkspaceList,
  type WorkspaceMember,
  type WorkspaceMemberList,
} from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FixedWindowLimit } from '../limits/fixed-window-limit.js';
import type { InvitationMailer } from '../workspaces/invitation-mailer.js';
import { workspaceAccessOf } from './route-access.js';
import type { WorkspaceInvitations } from '../workspaces/workspace-invitations.js';
import type { WorkspaceService } from '../workspaces/workspace-service.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

const MemberParamsSchema = z.object({ userId: IdSchema });
const InvitationParamsSchema = z.object({ invitationId: IdSchema });

/**
 * Workspaces, members and invitations under /v1/workspaces. ROUTE_ACCESS puts every route behind
 * `signed-in` (a person, not an API key, manages membership); each route that names a workspace
 * is authorised by the permission its entry there names (the workspace guard checks membership and
 * role before the handler runs).
 */
export async function workspaceRoutes(
  app: FastifyInstance,
  deps: {
    workspaces: WorkspaceService;
    invitations: WorkspaceInvitations;
    audit: AuditLog;
    /** Null when no SMTP server is configured: the inviter is shown the link. */
    mailer: InvitationMailer | null;
    /** Counts the invitation mails each person sends (INVITATION_MAILS_PER_HOUR); RATE_LIMITED past it. */
    mailLimit: FixedWindowLimit;
    /** Where invitation links point (TALLY_PUBLIC_URL). */
    publicUrl: string;
    logger: Logger;
  },
): Promise<void> {
  const { workspaces, invitations } = deps;
  const actorOf = (request: FastifyRequest) => ({ userId: userOf(request).userId, ip: request.ip });
  const memberIdOf = (request: FastifyRequest) => {
    const parsed = MemberParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new AppError('WORKSPACE_MEMBER_NOT_FOUND');
    return parsed.data.userId;
  };

  app.get('/v1/workspaces', async (request): Promise<WorkspaceList> => ({ workspaces: await workspaces.list(userOf(request).userId) }));

  app.post('/v1/workspaces', async (request, reply): Promise<Workspace> => {
    const { name } = parseInput(CreateWorkspaceRequestSchema, request.body);
    void reply.status(201);
    return workspaces.create(actorOf(request), name);
  });

  app.post('/v1/workspaces/invitations/accept', async (request): Promise<Workspace> => {
    const { token } = parseInput(AcceptInvitationRequestSchema, request.body);
    const user = userOf(request);
    return invitations.accept({ userId: user.userId, email: user.email, ip: request.ip }, token);
  });

  app.get('/v1/workspaces/:workspaceId', async (request): Promise<Workspace> => {
    const access = workspaceAccessOf(request);
    return workspaces.get(access.workspaceId, access.userId);
  });

  app.get('/v1/workspaces/:workspaceId/members', async (request): Promise<WorkspaceMemberList> => {
    const access = workspaceAccessOf(request);
    return { members: await workspaces.members(access.workspaceId) };
  });

  app.patch('/v1/workspaces/:workspaceId/members/:userId', async (request): Promise<WorkspaceMember> => {
    const access = workspaceAccessOf(request);
    const { role } = parseInput(ChangeWorkspaceRoleRequestSchema, request.body);
    return workspaces.changeRole(actorOf(request), access.workspaceId, memberIdOf(request), role);
  });

  app.delete('/v1/workspaces/:workspaceId/members/:userId', async (request, reply) => {
    const access = workspaceAccessOf(request);
    await workspaces.remove(actorOf(request), access.workspaceId, memberIdOf(request));
    return reply.status(204).send();
  });

  app.post('/v1/workspaces/:workspaceId/leave', async (request, reply) => {
    const access = workspaceAccessOf(request);
    await workspaces.leave(actorOf(request), access.workspaceId);
    return reply.status(204).send();
  });

  app.post('/v1/workspaces/:workspaceId/transfer', async (request): Promise<WorkspaceMemberList> => {
    const access = workspaceAccessOf(request);
    const { userId } = parseInput(TransferWorkspaceRequestSchema, request.body);
    return { members: await workspaces.transfer(actorOf(request), access.workspaceId, userId) };
  });

  app.get('/v1/workspaces/:workspaceId/invitations', async (request): Promise<WorkspaceInvitationList> => {
    const access = workspaceAccessOf(request);
    return { invitations: await invitations.list(access.workspaceId) };
  });

  app.post('/v1/workspaces/:workspaceId/invitations', async (request, reply): Promise<CreatedInvitation> => {
    const access = workspaceAccessOf(request);
    const input = parseInput(CreateInvitationRequestSchema, request.body);
    // Counted before anything is stored, mailed or not: a refused mail leaves no invitation behind.
    if (deps.mailer && input.email) await deps.mailLimit.hit(access.userId);
    const { invitation, token } = await invitations.create(actorOf(request), access.workspaceId, input);
    // The token in a fragment: browsers send it to no server and no Referer carries it.
    const link = `${deps.publicUrl}/join#invitation=${token}`;
    void reply.status(201).header('cache-control', 'no-store');
    if (deps.mailer && invitation.email) {
      try {
        const workspace = await workspaces.get(access.workspaceId, access.userId);
        await deps.mailer.send({ to: invitation.email, workspaceName: workspace.name, inviterEmail: userOf(request).email, role: invitation.role, link, expiresAt: invitation.expiresAt });
        return { invitation, emailed: true, token: null, link: null };
      } catch (error) {
        // Not sent: the inviter gets the link to pass on, rather than an invitation no one can use.
        deps.logger.warn({ err: error, invitationId: invitation.id }, 'the invitation mail could not be sent; the link is shown to the inviter');
      }
    }
    return { invitation, emailed: false, token, link };
  });

  app.delete('/v1/workspaces/:workspaceId/invitations/:invitationId', async (request): Promise<WorkspaceInvitation> => {
    const access = workspaceAccessOf(request);
    const parsed = InvitationParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new AppError('WORKSPACE_INVITATION_NOT_FOUND');
    return invitations.revoke(actorOf(request), access.workspaceId, parsed.data.invitationId);
  });

  app.get('/v1/workspaces/:workspaceId/audit', async (request): Promise<AuditPage> => {
    const access = workspaceAccessOf(request);
    const query = parseInput(AuditQuerySchema, request.query);
    return deps.audit.list({ limit: query.limit, ...(query.before ? { before: query.before } : {}), workspaceId: access.workspaceId });
  });
}
