import { mayChangeMember, roleAllows, WORKSPACE_ROLES, type Workspace, type WorkspaceMember, type WorkspaceRole } from '@tally/protocol';

/** What the signed-in person may do to one member row: only what the server's roles table allows. */
export interface MemberActions {
  /** Roles the member may be given (their current one excluded); empty: no role control. */
  roles: WorkspaceRole[];
  remove: boolean;
  /** Hand the workspace over to them (the caller becomes an admin). */
  transfer: boolean;
  /** The caller's own row: step out of the workspace. */
  leave: boolean;
}

const NONE: MemberActions = { roles: [], remove: false, transfer: false, leave: false };

/** A personal workspace is its one person's: nothing to manage, nobody to leave it to. */
export function memberActions(workspace: Workspace, member: WorkspaceMember, selfId: string): MemberActions {
  if (workspace.personal) return NONE;
  const self = member.userId === selfId;
  if (self) return { ...NONE, leave: true };
  return {
    roles: WORKSPACE_ROLES.filter((r) => r !== member.role && mayChangeMember(workspace.role, member.role, r, false)),
    remove: mayChangeMember(workspace.role, member.role, null, false),
    transfer: roleAllows(workspace.role, 'ownership.manage'),
    leave: false,
  };
}

/** Whether the caller may invite people and see the invitations (never in a personal workspace). */
export function managesMembers(workspace: Workspace): boolean {
  return !workspace.personal && workspace.permissions.includes('members.manage');
}
