import {
  type AuditPage,
  AuditPageSchema,
  AuditQuerySchema,
  type CreatedInvitation,
  CreatedInvitationSchema,
  type CreateInvitationRequest,
  type Workspace,
  type WorkspaceInvitation,
  WorkspaceInvitationListSchema,
  WorkspaceInvitationSchema,
  WorkspaceListSchema,
  type WorkspaceMember,
  WorkspaceMemberListSchema,
  WorkspaceMemberSchema,
  type WorkspaceRole,
  WorkspaceSchema,
} from '@tally/protocol';
import { apiQuery } from './api-query.js';
import { EmptySchema, type Send } from './request-sender.js';

/**
 * The routes under /v1/workspaces. A workspace the caller is not in answers WORKSPACE_NOT_FOUND;
 * one where their role falls short, WORKSPACE_FORBIDDEN.
 */
export interface WorkspaceClient {
  /** The caller's workspaces, their personal one first, each with their role and what it may do. */
  list(): Promise<Workspace[]>;
  /** A team workspace, owned by the caller. */
  create(name: string): Promise<Workspace>;
  get(workspaceId: string): Promise<Workspace>;
  members(workspaceId: string): Promise<WorkspaceMember[]>;
  changeRole(workspaceId: string, userId: string, role: WorkspaceRole): Promise<WorkspaceMember>;
  removeMember(workspaceId: string, userId: string): Promise<void>;
  leave(workspaceId: string): Promise<void>;
  /** The member becomes an owner, the caller an admin. */
  transfer(workspaceId: string, userId: string): Promise<WorkspaceMember[]>;
  invitations(workspaceId: string): Promise<WorkspaceInvitation[]>;
  /** Mailed when the server has SMTP and `email` is given (`emailed`); otherwise `link` is for the caller to pass on. */
  invite(workspaceId: string, request: CreateInvitationRequest): Promise<CreatedInvitation>;
  revokeInvitation(workspaceId: string, invitationId: string): Promise<WorkspaceInvitation>;
  /** Joins with the token of an invitation link (its `#invitation=` part). */
  acceptInvitation(token: string): Promise<Workspace>;
  /** The workspace's audit log, newest first (owners and admins). */
  auditLog(workspaceId: string, query?: { limit?: number; before?: string }): Promise<AuditPage>;
}

export function workspaceClient(send: Send): WorkspaceClient {
  const at = (workspaceId: string, rest = '') => `/v1/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
  return {
    list: async () => (await send({ method: 'GET', path: '/v1/workspaces', schema: WorkspaceListSchema, auth: true })).workspaces,
    create: (name) => send({ method: 'POST', path: '/v1/workspaces', schema: WorkspaceSchema, auth: true, json: { name } }),
    get: (workspaceId) => send({ method: 'GET', path: at(workspaceId), schema: WorkspaceSchema, auth: true }),
    members: async (workspaceId) => (await send({ method: 'GET', path: at(workspaceId, '/members'), schema: WorkspaceMemberListSchema, auth: true })).members,
    changeRole: (workspaceId, userId, role) =>
      send({ method: 'PATCH', path: at(workspaceId, `/members/${encodeURIComponent(userId)}`), schema: WorkspaceMemberSchema, auth: true, json: { role } }),
    removeMember: async (workspaceId, userId) => {
      await send({ method: 'DELETE', path: at(workspaceId, `/members/${encodeURIComponent(userId)}`), schema: EmptySchema, auth: true });
    },
    leave: async (workspaceId) => {
      await send({ method: 'POST', path: at(workspaceId, '/leave'), schema: EmptySchema, auth: true, json: {} });
    },
    transfer: async (workspaceId, userId) => (await send({ method: 'POST', path: at(workspaceId, '/transfer'), schema: WorkspaceMemberListSchema, auth: true, json: { userId } })).members,
    invitations: async (workspaceId) => (await send({ method: 'GET', path: at(workspaceId, '/invitations'), schema: WorkspaceInvitationListSchema, auth: true })).invitations,
    invite: (workspaceId, request) => send({ method: 'POST', path: at(workspaceId, '/invitations'), schema: CreatedInvitationSchema, auth: true, json: request }),
    revokeInvitation: (workspaceId, invitationId) =>
      send({ method: 'DELETE', path: at(workspaceId, `/invitations/${encodeURIComponent(invitationId)}`), schema: WorkspaceInvitationSchema, auth: true }),
    acceptInvitation: (token) => send({ method: 'POST', path: '/v1/workspaces/invitations/accept', schema: WorkspaceSchema, auth: true, json: { token } }),
    auditLog: async (workspaceId, query = {}) =>
      send({ method: 'GET', path: at(workspaceId, `/audit${apiQuery(AuditQuerySchema, { limit: query.limit, before: query.before })}`), schema: AuditPageSchema, auth: true }),
  };
}
