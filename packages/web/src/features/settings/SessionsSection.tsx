import { useState } from 'react';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { deviceLabel } from './device-label.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { useLoaded } from '../../components/use-loaded.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'Device' }, { label: 'IP' }, { label: 'Last seen' }, { label: 'Signed in' }, { label: 'Actions', visuallyHidden: true }];

export interface SessionsSectionProps {
  api: TallyApi;
  /** The current session was revoked here: this tab is signed out. */
  onSignedOut(notice: string | null): void;
}

/** Where the user is signed in; any session can be ended, this one included. */
export function SessionsSection({ api, onSignedOut }: SessionsSectionProps) {
  const [sessions, reload] = useLoaded(() => api.rest.listSessions());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function revoke(id: string, current: boolean) {
    setBusy(id);
    setError(null);
    try {
      await api.rest.revokeSession(id);
      if (current) return onSignedOut('You ended this session.');
      reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function revokeOthers() {
    setBusy('others');
    setError(null);
    try {
      const ended = await api.rest.revokeOtherSessions();
      setNotice(ended === 1 ? '1 other session was signed out.' : `${ended} other sessions were signed out.`);
      reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  const others = sessions.kind === 'loaded' ? sessions.value.filter((s) => !s.current).length : 0;
  return (
    <section className="card settings-section" aria-labelledby="sessions-title">
      <div className="section-head">
        <h2 id="sessions-title">Sessions</h2>
        <span className="form-actions">
          {others > 0 && (
            <ConfirmButton
              label="Sign out all other sessions"
              question={`Sign out ${others === 1 ? 'the other session' : `all ${others} other sessions`}?`}
              confirmLabel="Sign them out"
              disabled={busy === 'others'}
              onConfirm={() => void revokeOthers()}
            />
          )}
          <button type="button" className="small" onClick={reload}>Refresh</button>
        </span>
      </div>
      {notice && <p className="good" role="status">{notice}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <LoadState state={sessions} what="sessions">
        {(list) => (
          <TableShell label="Sessions" columns={COLUMNS}>
            {list.map((s) => (
              <tr key={s.id} data-session-id={s.id} className={s.current ? 'current' : undefined}>
                <td className="device" data-label="Device" title={s.device}>
                  {deviceLabel(s.device)}
                  {s.current && <span className="tag">this device</span>}
                </td>
                <td data-label="IP">{s.ip}</td>
                <td data-label="Last seen">{formatWhen(s.lastSeenAt)}</td>
                <td data-label="Signed in">{formatWhen(s.createdAt)}</td>
                <td className="actions">
                  <ConfirmButton
                    label={s.current ? 'Sign out' : 'Revoke'}
                    ariaLabel={s.current ? 'Sign out this device' : `Revoke the session on ${deviceLabel(s.device)} from ${s.ip}`}
                    question={s.current ? 'Sign out this device?' : 'End this session?'}
                    confirmLabel={s.current ? 'Sign out' : 'Revoke'}
                    disabled={busy === s.id}
                    onConfirm={() => void revoke(s.id, s.current)}
                  />
                </td>
              </tr>
            ))}
          </TableShell>
        )}
      </LoadState>
    </section>
  );
}
