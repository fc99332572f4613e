import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IdSchema, type WorkspacePermission, type WorkspaceRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { WorkspaceService } from '../workspaces/workspace-service.js';
import { authorizeInWorkspace } from '../workspaces/workspace-authorization.js';
import { userOf } from './authenticate.js';

/** A request's standing in the workspace its path names, once the guard let it through. */
export interface WorkspaceAccess {
  workspaceId: string;
  userId: string;
  role: WorkspaceRole;
}

const ParamsSchema = z.object({ workspaceId: IdSchema });

/**
 * The one place a request is authorised in a workspace: the caller (from authentication, which
 * ROUTE_ACCESS ran first) must be a member of the workspace `:workspaceId` names, read fresh on
 * every request (an API key: its maker, and only in the key's own workspace), and their role must allow `permission` (workspace-roles.ts). A malformed id, a
 * missing workspace and someone else's all answer WORKSPACE_NOT_FOUND, so ids cannot be probed; a
 * member whose role falls short gets WORKSPACE_FORBIDDEN.
 */
export function createWorkspaceGuard(deps: { workspaces: Pick<WorkspaceService, 'roleOf'> }) {
  return async function authorize(request: FastifyRequest, permission: WorkspacePermission): Promise<WorkspaceAccess> {
    const user = userOf(request);
    const params = ParamsSchema.safeParse(request.params);
    if (!params.success) throw new AppError('WORKSPACE_NOT_FOUND');
    const { workspaceId } = params.data;
    // A key works in the one workspace it was made in; anywhere else the workspace is not there for it.
    const apiKey = user.via === 'api-key' ? { workspaceId: user.workspaceId } : null;
    const role = await authorizeInWorkspace(deps.workspaces.roleOf, { userId: user.userId, apiKey }, workspaceId, permission);
    return { workspaceId, userId: user.userId, role };
  };
}

export type WorkspaceGuard = ReturnType<typeof createWorkspaceGuard>;
