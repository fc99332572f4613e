import { z } from 'zod';
import { IdSchema } from '../commands.js';
import { safeText } from '../safe-text.js';

/**
 * Workspaces (issue 17): a workspace owns usage data, its ingestion keys and the team's settings;
 * people see it as members with one role each. Routes name the workspace in the path,
 * /v1/workspaces/:workspaceId/..., and are authorised by membership and role; a workspace the
 * caller is not a member of answers WORKSPACE_NOT_FOUND, as a missing one does.
 */

/** Strongest first. What each may do: WORKSPACE_PERMISSIONS below (docs/PROTOCOL.md, Workspaces, has the table). */
export const WORKSPACE_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export const WorkspaceRoleSchema = z.enum(WORKSPACE_ROLES);
export type WorkspaceRole = z.infer<typeof WorkspaceRoleSchema>;

/**
 * Everything a member may be allowed in a workspace. Clients use it to show or hide actions; the
 * server decides with the same table.
 */
export const WORKSPACE_PERMISSIONS = [
  /** See the workspace, its members, dashboards and the threads shared with it. */
  'workspace.read',
  /** Upload usage into the workspace. */
  'usage.upload',
  /** Ask the agents (start runs) over the workspace's data, and share one's own threads with it. */
  'agents.ask',
  /** Invite people, revoke invitations, change roles and remove members (below their own rank). */
  'members.manage',
  /** The workspace's ingestion API keys and team settings (negotiated discounts). */
  'settings.manage',
  /** Read the workspace's audit log. */
  'audit.read',
  /** Hand the workspace over to another member, grant or take the owner role. */
  'ownership.manage',
] as const;
export type WorkspacePermission = (typeof WORKSPACE_PERMISSIONS)[number];

/** One line of text: it appears in mail subjects and menus. */
export const WorkspaceNameSchema = safeText().trim().min(1).max(100).regex(/^[^\p{Cc}]*$/u, 'must not hold control characters');

export const WorkspaceSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  /** True for the workspace made for its one person at sign-up: it cannot be left, shared or handed over. */
  personal: z.boolean(),
  /** The caller's role in it. */
  role: WorkspaceRoleSchema,
  /** What that role may do here. */
  permissions: z.array(z.enum(WORKSPACE_PERMISSIONS)),
  createdAt: z.string(),
});
export type Workspace = z.infer<typeof WorkspaceSchema>;
export const WorkspaceListSchema = z.object({ workspaces: z.array(WorkspaceSchema) });
export type WorkspaceList = z.infer<typeof WorkspaceListSchema>;

/** POST /v1/workspaces: the caller becomes its owner. */
export const CreateWorkspaceRequestSchema = z.object({ name: WorkspaceNameSchema });
export type CreateWorkspaceRequest = z.infer<typeof CreateWorkspaceRequestSchema>;

export const WorkspaceMemberSchema = z.object({
  userId: z.string().uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  role: WorkspaceRoleSchema,
  joinedAt: z.string(),
});
export type WorkspaceMember = z.infer<typeof WorkspaceMemberSchema>;
export const WorkspaceMemberListSchema = z.object({ members: z.array(WorkspaceMemberSchema) });
export type WorkspaceMemberList = z.infer<typeof WorkspaceMemberListSchema>;

/** PATCH /v1/workspaces/:workspaceId/members/:userId */
export const ChangeWorkspaceRoleRequestSchema = z.object({ role: WorkspaceRoleSchema });
export type ChangeWorkspaceRoleRequest = z.infer<typeof ChangeWorkspaceRoleRequestSchema>;

/** POST /v1/workspaces/:workspaceId/transfer: the member becomes an owner, the caller an admin. */
export const TransferWorkspaceRequestSchema = z.object({ userId: IdSchema });
export type TransferWorkspaceRequest = z.infer<typeof TransferWorkspaceRequestSchema>;

/** Roles an invitation may carry: ownership is handed over, never sent in a link. */
export const INVITABLE_ROLES = ['admin', 'member', 'viewer'] as const;
export const InvitableRoleSchema = z.enum(INVITABLE_ROLES);
export type InvitableRole = z.infer<typeof InvitableRoleSchema>;

/** Invitations last a week unless the inviter says otherwise; at most 30 days. */
export const DEFAULT_INVITATION_HOURS = 168;
export const MAX_INVITATION_HOURS = 720;

/**
 * POST /v1/workspaces/:workspaceId/invitations. With `email`, only the account with that address
 * may accept it, and the server mails the link when it has an SMTP server; without, whoever holds
 * the link may.
 */
export const CreateInvitationRequestSchema = z.object({
  role: InvitableRoleSchema,
  email: z.string().trim().toLowerCase().email().max(254).optional(),
  expiresInHours: z.number().int().min(1).max(MAX_INVITATION_HOURS).default(DEFAULT_INVITATION_HOURS),
});
export type CreateInvitationRequest = z.input<typeof CreateInvitationRequestSchema>;

export const InvitationStatusSchema = z.enum(['pending', 'accepted', 'revoked', 'expired']);
export const WorkspaceInvitationSchema = z.object({
  id: z.string().uuid(),
  workspaceId: z.string().uuid(),
  role: InvitableRoleSchema,
  /** The only address that may accept it; null: whoever holds the link. */
  email: z.string().nullable(),
  status: InvitationStatusSchema,
  createdBy: z.string().uuid().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type WorkspaceInvitation = z.infer<typeof WorkspaceInvitationSchema>;
export const WorkspaceInvitationListSchema = z.object({ invitations: z.array(WorkspaceInvitationSchema) });
export type WorkspaceInvitationList = z.infer<typeof WorkspaceInvitationListSchema>;

/**
 * The answer to creating an invitation. The token (stored only as a hash) is in this answer only:
 * `link` is the page that accepts it. When it was mailed (`emailed`), neither is shown: the
 * invitation reaches its address, not the inviter.
 */
export const CreatedInvitationSchema = z.object({
  invitation: WorkspaceInvitationSchema,
  emailed: z.boolean(),
  token: z.string().nullable(),
  link: z.string().nullable(),
});
export type CreatedInvitation = z.infer<typeof CreatedInvitationSchema>;

/** POST /v1/workspaces/invitations/accept */
export const AcceptInvitationRequestSchema = z.object({ token: z.string().min(1).max(200) });
export type AcceptInvitationRequest = z.infer<typeof AcceptInvitationRequestSchema>;
