import { describe, expect, it } from 'vitest';
import { watchWorkspaceRefusals, workspaceRefusalOf } from './workspace-refusals.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const body = (code: string) => ({ error: { code, message: 'no' } });

describe('workspace refusals', () => {
  it('reads the workspace and the code of a refusal under /v1/workspaces/:id/', () => {
    expect(workspaceRefusalOf(`http://x/v1/workspaces/${ID}/usage/dashboard?a=1`, 404, body('WORKSPACE_NOT_FOUND'))).toEqual({ workspaceId: ID, code: 'WORKSPACE_NOT_FOUND' });
    expect(workspaceRefusalOf(`/v1/workspaces/${ID.toUpperCase()}/threads`, 403, body('WORKSPACE_FORBIDDEN'))).toEqual({ workspaceId: ID, code: 'WORKSPACE_FORBIDDEN' });
  });

  it('ignores other answers, other codes and other paths', () => {
    expect(workspaceRefusalOf(`/v1/workspaces/${ID}/threads/x`, 404, body('THREAD_NOT_FOUND'))).toBeNull();
    expect(workspaceRefusalOf(`/v1/workspaces/${ID}/threads`, 200, body('WORKSPACE_NOT_FOUND'))).toBeNull();
    expect(workspaceRefusalOf('/v1/workspaces/invitations/accept', 404, body('WORKSPACE_NOT_FOUND'))).toBeNull();
    expect(workspaceRefusalOf(`/v1/workspaces/${ID}/usage`, 404, 'not json')).toBeNull();
  });

  it('tells its listeners and still hands the answer, unread, to the caller', async () => {
    const answer = () => new Response(JSON.stringify(body('WORKSPACE_NOT_FOUND')), { status: 404 });
    const watch = watchWorkspaceRefusals(async () => answer());
    const seen: string[] = [];
    const off = watch.on((r) => seen.push(`${r.workspaceId} ${r.code}`));
    const response = await watch.fetch(`/v1/workspaces/${ID}/api-keys`);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('WORKSPACE_NOT_FOUND');
    off();
    await watch.fetch(`/v1/workspaces/${ID}/api-keys`);
    expect(seen).toEqual([`${ID} WORKSPACE_NOT_FOUND`]);
  });
});
