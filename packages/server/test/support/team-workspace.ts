import type { WorkspaceRole } from '@tally/protocol';
import { rest } from './rest.js';

interface Person {
  token: string;
}

/** A team workspace made by `owner` over the API; its id. */
export async function createTeamWorkspace(baseUrl: string, owner: Person, name: string): Promise<string> {
  const created = await rest<{ id: string }>(baseUrl, 'POST', '/v1/workspaces', { token: owner.token, json: { name } });
  if (created.status !== 201) throw new Error(`workspace not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** `person` joins the workspace with `role`, invited by `inviter` (an admin or owner there), as people do. */
export async function joinWorkspace(baseUrl: string, inviter: Person, workspaceId: string, person: Person, role: Exclude<WorkspaceRole, 'owner'>): Promise<void> {
  const invitation = await rest<{ token: string }>(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { token: inviter.token, json: { role } });
  if (invitation.status !== 201) throw new Error(`invitation refused: ${invitation.status} ${JSON.stringify(invitation.body)}`);
  const accepted = await rest(baseUrl, 'POST', '/v1/workspaces/invitations/accept', { token: person.token, json: { token: invitation.body.token } });
  if (accepted.status !== 200) throw new Error(`invitation not accepted: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}
