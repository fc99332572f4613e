import { useState, type FormEvent } from 'react';
import { MIN_PASSWORD_LENGTH } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';

/** Change the password: the current one, then the new one twice. Other sessions end on success. */
export function PasswordSection({ api }: { api: TallyApi }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== confirm) return setStatus({ ok: false, text: 'The new password and its confirmation differ.' });
    setSaving(true);
    setStatus(null);
    try {
      await api.rest.changePassword(current, next);
      setCurrent('');
      setNext('');
      setConfirm('');
      setStatus({ ok: true, text: 'Password changed; your other sessions were signed out.' });
    } catch (error) {
      setStatus({ ok: false, text: errorMessage(error) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card settings-section" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form className="settings-form" onSubmit={submit}>
        <label>
          Current password
          <input type="password" value={current} required autoComplete="current-password" onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label>
          New password
          <input
            type="password"
            value={next}
            required
            minLength={MIN_PASSWORD_LENGTH}
            autoComplete="new-password"
            aria-describedby="password-rule"
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <p id="password-rule" className="hint">At least {MIN_PASSWORD_LENGTH} characters, not a common password, not your email name.</p>
        <label>
          Confirm new password
          <input type="password" value={confirm} required autoComplete="new-password" onChange={(e) => setConfirm(e.target.value)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={saving}>Change password</button>
          {status && <span className={status.ok ? 'good' : 'error'} role={status.ok ? 'status' : 'alert'}>{status.text}</span>}
        </div>
      </form>
    </section>
  );
}
