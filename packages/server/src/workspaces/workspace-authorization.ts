import type { WorkspacePermission, WorkspaceRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import { roleAllows } from './workspace-roles.js';

/** Who asks to act in a workspace: a person, or an API key (which works in its own workspace only). */
export interface WorkspaceRequester {
  userId: string;
  /** Set when the credential is an API key: the one workspace it works in. */
  apiKey: { workspaceId: string | null } | null;
}

/**
 * The one decision of whether `actor` may do what `permission` names in `workspaceId`, for the
 * HTTP guard and the gateway alike: membership read fresh (`roleOf`), then the role's permission.
 * A workspace that is missing, someone else's, or outside a key's own answers WORKSPACE_NOT_FOUND
 * (ids cannot be probed); a member whose role falls short gets WORKSPACE_FORBIDDEN.
 */
export async function authorizeInWorkspace(
  roleOf: (workspaceId: string, userId: string) => Promise<WorkspaceRole | null>,
  actor: WorkspaceRequester,
  workspaceId: string,
  permission: WorkspacePermission,
): Promise<WorkspaceRole> {
  assertInKeyScope(actor, workspaceId);
  const role = await roleOf(workspaceId, actor.userId);
  if (!role) throw workspaceRefusal('not_member');
  if (!roleAllows(role, permission)) throw workspaceRefusal('forbidden');
  return role;
}

/**
 * The error for a membership that does not allow the act: none at all cannot be told from a
 * missing workspace; a role that falls short is told so. For this module's check and for a caller
 * whose own statement read the membership (a run's start, runs/run-start-statement.ts).
 */
export function workspaceRefusal(why: 'not_member' | 'forbidden'): AppError {
  return new AppError(why === 'not_member' ? 'WORKSPACE_NOT_FOUND' : 'WORKSPACE_FORBIDDEN');
}

/**
 * The part of the decision that needs no read: an API key works in its own workspace only. For a
 * caller whose own statement reads the membership (a run's start, runs/run-start-statement.ts).
 */
export function assertInKeyScope(actor: WorkspaceRequester, workspaceId: string): void {
  if (actor.apiKey && actor.apiKey.workspaceId !== workspaceId) throw new AppError('WORKSPACE_NOT_FOUND');
}
