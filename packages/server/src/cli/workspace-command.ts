import { createRestClient, type RestClient } from '@tally/client';
import type { Workspace, WorkspaceMember } from '@tally/protocol';
import { CLI_USER_AGENT } from './cli-user-agent.js';
import { findWorkspace } from './find-workspace.js';
import type { WorkspaceAction } from './workspace-args.js';

/**
 * `tally workspace ...`: signs in to the server (as `tally ingest` does) and manages workspaces over
 * its REST API, the same routes and rules as the web app.
 */
export async function workspaceCommand(
  options: { url: string; email: string; password: string; action: WorkspaceAction },
  out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Promise<number> {
  let token: string | undefined;
  const client = createRestClient({ baseUrl: options.url, getAccessToken: () => token, userAgent: CLI_USER_AGENT });
  token = (await client.login({ email: options.email, password: options.password })).accessToken;
  const api = client.workspaces;
  const { action } = options;
  switch (action.kind) {
    case 'list':
      for (const w of await api.list()) out(`${w.id}  ${w.role.padEnd(6)}  ${w.name}${w.personal ? ' (personal)' : ''}`);
      return 0;
    case 'create': {
      const w = await api.create(action.name);
      out(`Created ${w.name} (${w.id}); you own it.`);
      return 0;
    }
    case 'accept': {
      const w = await api.acceptInvitation(action.token);
      out(`Joined ${w.name} (${w.id}) as ${w.role}.`);
      return 0;
    }
    default:
      break;
  }
  const workspace = await findWorkspace(client, action.workspace);
  switch (action.kind) {
    case 'members':
      for (const m of await api.members(workspace.id)) out(`${m.userId}  ${m.role.padEnd(6)}  ${m.email}${m.displayName ? ` (${m.displayName})` : ''}`);
      return 0;
    case 'invite': {
      const created = await api.invite(workspace.id, { role: action.role, ...(action.email ? { email: action.email } : {}), ...(action.hours ? { expiresInHours: action.hours } : {}) });
      if (created.emailed) out(`Invitation mailed to ${created.invitation.email}; it expires ${created.invitation.expiresAt}.`);
      else out(`Send this link (it works once, until ${created.invitation.expiresAt}${created.invitation.email ? `, for ${created.invitation.email} only` : ''}):\n${created.link}`);
      return 0;
    }
    case 'invitations':
      for (const i of await api.invitations(workspace.id)) out(`${i.id}  ${i.status.padEnd(8)}  ${i.role.padEnd(6)}  ${i.email ?? '(link)'}  expires ${i.expiresAt}`);
      return 0;
    case 'revoke':
      out(`Invitation ${(await api.revokeInvitation(workspace.id, action.invitationId)).status}.`);
      return 0;
    case 'role': {
      const member = await api.changeRole(workspace.id, (await findMember(client, workspace, action.user)).userId, action.role);
      out(`${member.email} is now ${member.role} in ${workspace.name}.`);
      return 0;
    }
    case 'remove': {
      const member = await findMember(client, workspace, action.user);
      await api.removeMember(workspace.id, member.userId);
      out(`Removed ${member.email} from ${workspace.name}.`);
      return 0;
    }
    case 'leave':
      await api.leave(workspace.id);
      out(`You left ${workspace.name}.`);
      return 0;
    case 'transfer': {
      const member = await findMember(client, workspace, action.user);
      await api.transfer(workspace.id, member.userId);
      out(`${member.email} owns ${workspace.name} now; you are an admin.`);
      return 0;
    }
  }
}

/** A member by id or email. */
async function findMember(client: RestClient, workspace: Workspace, given: string): Promise<WorkspaceMember> {
  const member = (await client.workspaces.members(workspace.id)).find((m) => m.userId === given || m.email.toLowerCase() === given.toLowerCase());
  if (!member) throw new Error(`${given} is not a member of ${workspace.name}`);
  return member;
}
