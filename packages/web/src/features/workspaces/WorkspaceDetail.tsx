import { useState } from 'react';
import type { User, Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { AuditLogSection } from '../admin/AuditLogSection.js';
import { ConnectorsSection } from '../connectors/ConnectorsSection.js';
import { ApiKeysSection } from './ApiKeysSection.js';
import { InvitationsSection } from './InvitationsSection.js';
import { managesMembers } from './member-actions.js';
import { MembersSection } from './MembersSection.js';
import { ROLE_HINTS, ROLE_LABELS } from './role-labels.js';

export interface WorkspaceDetailProps {
  api: TallyApi;
  user: User;
  workspace: Workspace;
  /** The caller left it (or handed it over and then left): back to the list. */
  onLeft(): void;
  /** Something changed (the caller's own role, in a handover): reload the list. */
  onChanged(): void;
}

/** One workspace: its members, and for those who manage it, invitations, API keys and the audit log. */
export function WorkspaceDetail({ api, user, workspace, onLeft, onChanged }: WorkspaceDetailProps) {
  const manages = managesMembers(workspace);
  // Each change made here is a new line in the audit log: show it.
  const [changes, setChanges] = useState(0);
  const changed = () => {
    setChanges((n) => n + 1);
    onChanged();
  };
  return (
    <section className="workspace-detail" aria-labelledby="workspace-title">
      <div className="section-head">
        <h2 id="workspace-title">{workspace.name}</h2>
        <span className="muted" data-testid="my-role">
          {workspace.personal ? 'Your personal workspace' : `Your role: ${ROLE_LABELS[workspace.role]} (${ROLE_HINTS[workspace.role]})`}
        </span>
      </div>
      <MembersSection api={api} selfId={user.id} workspace={workspace} onLeft={onLeft} onChanged={changed} />
      {manages && <InvitationsSection api={api} workspace={workspace} onChanged={changed} />}
      {workspace.permissions.includes('settings.manage') && <ApiKeysSection api={api} workspace={workspace} />}
      <ConnectorsSection api={api} workspace={workspace} />
      {workspace.permissions.includes('audit.read') && (
        <AuditLogSection key={changes} api={api} title="Workspace audit log" load={(query) => api.rest.workspaces.auditLog(workspace.id, query)} />
      )}
    </section>
  );
}
