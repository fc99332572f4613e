import { useState, type FormEvent } from 'react';
import { USER_ROLES, type AdminUser, type PasswordResetIssued, type UserRole } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { SecretOnce } from '../../components/SecretOnce.js';
import { useLoaded } from '../../components/use-loaded.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'Email' }, { label: 'Role' }, { label: 'Status' }, { label: 'Created' }, { label: 'Actions', visuallyHidden: true }];

/** Every account: role, enabled or not, a one-time password reset token to hand over, deletion (one's own is in Settings). */
export function AdminUsersSection({ api, selfId }: { api: TallyApi; selfId: string }) {
  const [users, reload] = useLoaded(() => api.rest.admin.listUsers());
  const [error, setError] = useState<string | null>(null);
  const [reset, setReset] = useState<{ email: string; issued: PasswordResetIssued } | null>(null);

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const issueReset = (user: AdminUser) =>
    act(async () => setReset({ email: user.email, issued: await api.rest.admin.issuePasswordReset(user.id) }));

  const [newEmail, setNewEmail] = useState('');
  const [newRole, setNewRole] = useState<UserRole>('member');
  async function createUser(event: FormEvent) {
    event.preventDefault();
    await act(async () => {
      const created = await api.rest.admin.createUser({ email: newEmail, role: newRole });
      setReset({ email: created.user.email, issued: created.reset });
      setNewEmail('');
    });
  }

  return (
    <section className="card settings-section" aria-labelledby="admin-users-title">
      <h2 id="admin-users-title">Users</h2>
      <form className="settings-form inline" aria-label="Create a user" onSubmit={(e) => void createUser(e)}>
        <label>
          New user's email
          <input type="email" required value={newEmail} onChange={(e) => setNewEmail(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Role
          <select value={newRole} onChange={(e) => setNewRole(e.target.value as UserRole)}>
            {USER_ROLES.map((r) => (
              <option key={r} value={r}>{r}</option>
            ))}
          </select>
        </label>
        <div className="form-actions">
          <button type="submit" className="small">Create user</button>
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {reset && (
        <SecretOnce
          label={`Password reset token for ${reset.email}`}
          secret={reset.issued.resetToken}
          warning={`Shown once; give it to the user. It works once, until ${formatWhen(reset.issued.expiresAt)}, and ends their sessions.`}
          onDismiss={() => setReset(null)}
        />
      )}
      <LoadState state={users} what="users">
        {(list) => (
          <TableShell label="Users" columns={COLUMNS}>
            {list.map((u) => (
              <tr key={u.id} data-user-email={u.email}>
                <td data-label="Email">
                  {u.email}
                  {u.id === selfId && <span className="tag">you</span>}
                </td>
                <td data-label="Role">
                  <select
                    value={u.role}
                    aria-label={`Role of ${u.email}`}
                    onChange={(e) => void act(() => api.rest.admin.updateUser(u.id, { role: e.target.value as UserRole }))}
                  >
                    {USER_ROLES.map((r) => (
                      <option key={r} value={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td data-label="Status" className={u.disabled ? 'bad' : ''}>{u.disabled ? 'disabled' : 'active'}</td>
                <td data-label="Created">{formatWhen(u.createdAt)}</td>
                <td className="actions">
                  {u.disabled ? (
                    <button type="button" className="small" aria-label={`Enable ${u.email}`} onClick={() => void act(() => api.rest.admin.updateUser(u.id, { disabled: false }))}>
                      Enable
                    </button>
                  ) : (
                    <ConfirmButton
                      label="Disable"
                      ariaLabel={`Disable ${u.email}`}
                      question={`Disable ${u.email}? Their sessions and keys stop working.`}
                      confirmLabel="Disable"
                      onConfirm={() => void act(() => api.rest.admin.updateUser(u.id, { disabled: true }))}
                    />
                  )}
                  <button type="button" className="small" aria-label={`Reset password for ${u.email}`} onClick={() => void issueReset(u)}>
                    Reset password
                  </button>
                  {u.id !== selfId && (
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete ${u.email}`}
                      question={`Delete ${u.email} and everything of theirs? This cannot be undone.`}
                      confirmLabel="Delete user"
                      onConfirm={() => void act(() => api.rest.admin.deleteUser(u.id))}
                    />
                  )}
                </td>
              </tr>
            ))}
          </TableShell>
        )}
      </LoadState>
    </section>
  );
}
