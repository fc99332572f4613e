import { useState } from 'react';
import type { Workspace, WorkspaceMember, WorkspaceRole } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { useAction } from '../../components/use-action.js';
import { useLoaded } from '../../components/use-loaded.js';
import { memberActions } from './member-actions.js';
import { ROLE_LABELS } from './role-labels.js';

const COLUMNS: TableColumn[] = [{ label: 'Member' }, { label: 'Role' }, { label: 'Joined' }, { label: 'Actions', visuallyHidden: true }];

export interface MembersSectionProps {
  api: TallyApi;
  selfId: string;
  workspace: Workspace;
  onLeft(): void;
  /** A member changed (role, removal, handover). */
  onChanged(): void;
}

/** The members with their roles; each row offers only what the caller's role allows on it. */
export function MembersSection({ api, selfId, workspace, onLeft, onChanged }: MembersSectionProps) {
  const [members, reload] = useLoaded(() => api.rest.workspaces.members(workspace.id));
  const { error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);

  function act(action: () => Promise<unknown>, success: string, after: () => void = reload) {
    // `after` reloads what the change touched; onChanged tells the page (list, audit log).
    setDone(null);
    void run(async () => {
      await action();
      setDone(success);
      after();
      onChanged();
    });
  }

  const who = (m: WorkspaceMember) => m.displayName ?? m.email;

  return (
    <section className="card settings-section" aria-labelledby="members-title">
      <h3 id="members-title">Members</h3>
      {error && <p className="error" role="alert">{error}</p>}
      {done && <p className="good" role="status">{done}</p>}
      <LoadState state={members} what="the members">
        {(list) => (
          <TableShell label="Members" columns={COLUMNS}>
            {list.map((m) => {
              const can = memberActions(workspace, m, selfId);
              return (
                <tr key={m.userId} data-member={m.email}>
                  <td data-label="Member">
                    {who(m)}
                    {m.displayName && <span className="muted"> {m.email}</span>}
                    {m.userId === selfId && <span className="muted"> (you)</span>}
                  </td>
                  <td data-label="Role" data-role={m.role}>
                    {can.roles.length > 0 ? (
                      <RoleChange
                        key={m.role}
                        member={m}
                        label={who(m)}
                        roles={can.roles}
                        onChange={(role) => act(() => api.rest.workspaces.changeRole(workspace.id, m.userId, role), `${who(m)} is now ${ROLE_LABELS[role].toLowerCase()}.`)}
                      />
                    ) : (
                      ROLE_LABELS[m.role]
                    )}
                  </td>
                  <td data-label="Joined">{formatWhen(m.joinedAt)}</td>
                  <td className="actions">
                    {can.transfer && (
                      <ConfirmButton
                        label="Hand over"
                        ariaLabel={`Hand over to ${who(m)}`}
                        question={`Hand ${workspace.name} over to ${who(m)}? You become an admin.`}
                        confirmLabel="Hand over"
                        onConfirm={() =>
                          act(() => api.rest.workspaces.transfer(workspace.id, m.userId), `${who(m)} now owns the workspace.`)
                        }
                      />
                    )}
                    {can.remove && (
                      <ConfirmButton
                        label="Remove"
                        ariaLabel={`Remove ${who(m)}`}
                        question={`Remove ${who(m)}? They lose access at once.`}
                        confirmLabel="Remove member"
                        onConfirm={() => act(() => api.rest.workspaces.removeMember(workspace.id, m.userId), `${who(m)} was removed.`)}
                      />
                    )}
                    {can.leave && (
                      <ConfirmButton
                        label="Leave"
                        ariaLabel={`Leave ${workspace.name}`}
                        question={`Leave ${workspace.name}? You need a new invitation to come back.`}
                        confirmLabel="Leave workspace"
                        onConfirm={() => act(() => api.rest.workspaces.leave(workspace.id), 'You left the workspace.', onLeft)}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </TableShell>
        )}
      </LoadState>
    </section>
  );
}

/** A role picker that applies on a button, so arrowing through the list changes nothing by itself. */
function RoleChange({ member, label, roles, onChange }: { member: WorkspaceMember; label: string; roles: WorkspaceRole[]; onChange(role: WorkspaceRole): void }) {
  const [role, setRole] = useState<WorkspaceRole>(member.role);
  return (
    <span className="role-change">
      <select value={role} aria-label={`Role of ${label}`} onChange={(e) => setRole(e.target.value as WorkspaceRole)}>
        {[member.role, ...roles].map((r) => (
          <option key={r} value={r}>{ROLE_LABELS[r]}</option>
        ))}
      </select>
      {role !== member.role && (
        <button type="button" className="small" onClick={() => onChange(role)}>
          Change role
        </button>
      )}
    </span>
  );
}
