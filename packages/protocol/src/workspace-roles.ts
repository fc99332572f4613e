import type { WorkspacePermission, WorkspaceRole } from './rest/workspaces.js';

/**
 * What each workspace role may do: the one table the server decides with (packages/server/src/http/workspace-guard.ts; the web app shows or hides actions with it) and
 * docs/PROTOCOL.md (Workspaces) shows. Viewers read dashboards and shared threads and nothing more; members
 * also upload and ask; admins also manage members, keys and team settings and read the audit log;
 * owners also hand the workspace over and grant or take the owner role.
 */
export const ROLE_PERMISSIONS: Readonly<Record<WorkspaceRole, readonly WorkspacePermission[]>> = {
  owner: ['workspace.read', 'usage.upload', 'agents.ask', 'members.manage', 'settings.manage', 'audit.read', 'ownership.manage'],
  admin: ['workspace.read', 'usage.upload', 'agents.ask', 'members.manage', 'settings.manage', 'audit.read'],
  member: ['workspace.read', 'usage.upload', 'agents.ask'],
  viewer: ['workspace.read'],
};

/** How strong each role is: who may act on whom, and who inherits a workspace first. */
export const ROLE_RANK: Readonly<Record<WorkspaceRole, number>> = { owner: 4, admin: 3, member: 2, viewer: 1 };
const RANK = ROLE_RANK;

export function roleAllows(role: WorkspaceRole, permission: WorkspacePermission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** Whether `role` is weaker than `than` (a lowering, which ends access at once on every node). */
export function isLowerRole(role: WorkspaceRole | null, than: WorkspaceRole): boolean {
  return role === null || RANK[role] < RANK[than];
}

/**
 * Whether `actor` may change a member who has `target` now into `next` (null: remove them). An
 * owner may do anything (the last-owner rule is the service's, as it needs the count); anyone else
 * who manages members acts only on weaker roles and grants at most their own, never owner. Anyone
 * may step down themselves (`self`), which is never a grant.
 */
export function mayChangeMember(actor: WorkspaceRole, target: WorkspaceRole, next: WorkspaceRole | null, self: boolean): boolean {
  if (self) return next === null || RANK[next] <= RANK[target];
  if (actor === 'owner') return true;
  if (!roleAllows(actor, 'members.manage')) return false;
  if (RANK[target] >= RANK[actor]) return false;
  return next === null || (next !== 'owner' && RANK[next] <= RANK[actor]);
}

/** Whether `actor` may send an invitation carrying `role`. */
export function mayInvite(actor: WorkspaceRole, role: WorkspaceRole): boolean {
  return roleAllows(actor, 'members.manage') && role !== 'owner' && RANK[role] <= RANK[actor];
}
