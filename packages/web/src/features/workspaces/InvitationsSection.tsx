import { useState, type FormEvent } from 'react';
import {
  DEFAULT_INVITATION_HOURS,
  INVITABLE_ROLES,
  MAX_INVITATION_HOURS,
  mayInvite,
  type CreatedInvitation,
  type InvitableRole,
  type Workspace,
} from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { SecretOnce } from '../../components/SecretOnce.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { useAction } from '../../components/use-action.js';
import { useLoaded } from '../../components/use-loaded.js';
import { ROLE_HINTS, ROLE_LABELS } from './role-labels.js';

const COLUMNS: TableColumn[] = [{ label: 'For' }, { label: 'Role' }, { label: 'Status' }, { label: 'Expires' }, { label: 'Actions', visuallyHidden: true }];

/** Expiry choices, in hours (the server allows 1 hour to 30 days). */
const EXPIRIES: Array<{ hours: number; label: string }> = [
  { hours: 24, label: '1 day' },
  { hours: DEFAULT_INVITATION_HOURS, label: '7 days' },
  { hours: MAX_INVITATION_HOURS, label: '30 days' },
];

/** Invite by email or as a link (shown once), and revoke what is still pending. */
export function InvitationsSection({ api, workspace, onChanged }: { api: TallyApi; workspace: Workspace; onChanged(): void }) {
  const [invitations, reload] = useLoaded(() => api.rest.workspaces.invitations(workspace.id));
  const roles = INVITABLE_ROLES.filter((r) => mayInvite(workspace.role, r));
  const [role, setRole] = useState<InvitableRole>('member');
  const [email, setEmail] = useState('');
  const [hours, setHours] = useState(DEFAULT_INVITATION_HOURS);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const { busy, error, run } = useAction();

  function invite(e: FormEvent) {
    e.preventDefault();
    setCreated(null);
    void run(async () => {
      const to = email.trim();
      setCreated(await api.rest.workspaces.invite(workspace.id, { role, expiresInHours: hours, ...(to ? { email: to } : {}) }));
      setEmail('');
      reload();
      onChanged();
    });
  }

  function revoke(id: string) {
    void run(async () => {
      await api.rest.workspaces.revokeInvitation(workspace.id, id);
      if (created?.invitation.id === id) setCreated(null);
      reload();
      onChanged();
    });
  }

  return (
    <section className="card settings-section" aria-labelledby="invitations-title">
      <h3 id="invitations-title">Invitations</h3>
      <p className="hint">
        A link works once, until it expires. With an email address, only that account may accept it, and it is mailed when the server can send mail.
      </p>
      <form className="settings-form inline" onSubmit={invite} aria-label="Invite someone">
        <label>
          Email (optional)
          <input type="email" value={email} maxLength={254} placeholder="colleague@example.com" onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as InvitableRole)}>
            {roles.map((r) => (
              <option key={r} value={r}>{ROLE_LABELS[r]}</option>
            ))}
          </select>
          <span className="hint">{ROLE_HINTS[role]}</span>
        </label>
        <label>
          Expires after
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {EXPIRIES.map((x) => (
              <option key={x.hours} value={x.hours}>{x.label}</option>
            ))}
          </select>
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>{email.trim() ? 'Invite' : 'Create link'}</button>
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {created?.emailed && <p className="good" role="status">Invitation mailed to {created.invitation.email}.</p>}
      {created?.link && (
        <SecretOnce
          label="Invitation link"
          secret={created.link}
          warning={`Send it to your colleague now: it is shown only once, works once and expires ${formatWhen(created.invitation.expiresAt)}.`}
          onDismiss={() => setCreated(null)}
        />
      )}
      <LoadState state={invitations} what="the invitations">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No invitation yet.</p>
          ) : (
            <TableShell label="Invitations" columns={COLUMNS} compact>
              {list.map((i) => (
                <tr key={i.id} data-invitation-id={i.id}>
                  <td data-label="For">{i.email ?? 'Anyone with the link'}</td>
                  <td data-label="Role">{ROLE_LABELS[i.role]}</td>
                  <td data-label="Status">{i.status}</td>
                  <td data-label="Expires">{formatWhen(i.expiresAt)}</td>
                  <td className="actions">
                    {i.status === 'pending' && (
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke the ${ROLE_LABELS[i.role].toLowerCase()} invitation for ${i.email ?? 'anyone with the link'}`}
                        question="Revoke this invitation? Its link stops working."
                        confirmLabel="Revoke invitation"
                        onConfirm={() => revoke(i.id)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </TableShell>
          )
        }
      </LoadState>
    </section>
  );
}
