import { parseArgs } from 'node:util';
import { INVITABLE_ROLES, WORKSPACE_ROLES, type WorkspaceRole } from '@tally/protocol';

/** What `tally workspace ...` was asked to do; workspaces and people are named as the user knows them. */
export type WorkspaceAction =
  | { kind: 'list' }
  | { kind: 'create'; name: string }
  | { kind: 'members'; workspace: string }
  | { kind: 'invite'; workspace: string; role: (typeof INVITABLE_ROLES)[number]; email?: string; hours?: number }
  | { kind: 'invitations'; workspace: string }
  | { kind: 'revoke'; workspace: string; invitationId: string }
  | { kind: 'accept'; token: string }
  | { kind: 'role'; workspace: string; user: string; role: WorkspaceRole }
  | { kind: 'remove'; workspace: string; user: string }
  | { kind: 'leave'; workspace: string }
  | { kind: 'transfer'; workspace: string; user: string };

export const WORKSPACE_USAGE = `  workspace list                the workspaces you are in, with your role
  workspace create NAME         a team workspace, which you own
  workspace members --workspace W
  workspace invite --workspace W --role admin|member|viewer [--email E] [--hours N]
                                an invitation link (mailed to E when the server has SMTP)
  workspace invitations --workspace W
  workspace revoke --workspace W INVITATION_ID
  workspace accept LINK|TOKEN   join with an invitation
  workspace role --workspace W USER ROLE
  workspace remove --workspace W USER
  workspace leave --workspace W
  workspace transfer --workspace W USER
                                W: a workspace's id or name; USER: a member's id or email.
                                The server as for ingest (--url); the account: --as E, or
                                    TALLY_EMAIL (the password: TALLY_PASSWORD, or asked).
`;

/** Reads the words after `tally workspace`; throws an Error whose message says what is missing. */
export function parseWorkspaceArgs(args: string[]): { action: WorkspaceAction; url?: string; email?: string; password?: string } {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { workspace: { type: 'string' }, role: { type: 'string' }, email: { type: 'string' }, hours: { type: 'string' }, url: { type: 'string' }, as: { type: 'string' }, password: { type: 'string' } },
  });
  const workspace = () => {
    if (!values.workspace) throw new Error(`workspace ${sub} needs --workspace W`);
    return values.workspace;
  };
  const positional = (i: number, what: string) => {
    const value = positionals[i];
    if (!value) throw new Error(`workspace ${sub} needs ${what}`);
    return value;
  };
  const connection = { ...(values.url ? { url: values.url } : {}), ...(values.as ? { email: values.as } : {}), ...(values.password ? { password: values.password } : {}) };
  const action = ((): WorkspaceAction => {
    switch (sub) {
      case 'list':
        return { kind: 'list' };
      case 'create':
        return { kind: 'create', name: positionals.join(' ') || positional(0, 'a NAME') };
      case 'members':
        return { kind: 'members', workspace: workspace() };
      case 'invite': {
        const role = values.role;
        if (!role || !(INVITABLE_ROLES as readonly string[]).includes(role)) throw new Error(`workspace invite needs --role ${INVITABLE_ROLES.join('|')}`);
        const hours = values.hours === undefined ? undefined : Number(values.hours);
        if (hours !== undefined && !(Number.isInteger(hours) && hours >= 1)) throw new Error('--hours must be a whole number of hours');
        return { kind: 'invite', workspace: workspace(), role: role as (typeof INVITABLE_ROLES)[number], ...(values.email ? { email: values.email } : {}), ...(hours ? { hours } : {}) };
      }
      case 'invitations':
        return { kind: 'invitations', workspace: workspace() };
      case 'revoke':
        return { kind: 'revoke', workspace: workspace(), invitationId: positional(0, 'an INVITATION_ID') };
      case 'accept': {
        const given = positional(0, 'the invitation LINK or TOKEN');
        return { kind: 'accept', token: /#invitation=([^&\s]+)/.exec(given)?.[1] ?? given };
      }
      case 'role': {
        const role = positional(1, `USER and ROLE (${WORKSPACE_ROLES.join('|')})`);
        if (!(WORKSPACE_ROLES as readonly string[]).includes(role)) throw new Error(`ROLE must be one of ${WORKSPACE_ROLES.join(', ')}`);
        return { kind: 'role', workspace: workspace(), user: positional(0, 'a USER'), role: role as WorkspaceRole };
      }
      case 'remove':
        return { kind: 'remove', workspace: workspace(), user: positional(0, 'a USER') };
      case 'leave':
        return { kind: 'leave', workspace: workspace() };
      case 'transfer':
        return { kind: 'transfer', workspace: workspace(), user: positional(0, 'a USER') };
      default:
        throw new Error('workspace needs list, create, members, invite, invitations, revoke, accept, role, remove, leave or transfer');
    }
  })();
  return { action, ...connection };
}
