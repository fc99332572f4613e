import type { WorkspaceRole } from '@tally/protocol';

/** Roles as people read them, with what each may do (the roles table in docs/PROTOCOL.md, Workspaces). */
export const ROLE_LABELS: Record<WorkspaceRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export const ROLE_HINTS: Record<WorkspaceRole, string> = {
  owner: 'everything, including handing the workspace over',
  admin: 'manages members, invitations, keys and team settings; reads the audit log',
  member: 'uploads usage and asks the agents',
  viewer: 'reads dashboards and shared threads only',
};
