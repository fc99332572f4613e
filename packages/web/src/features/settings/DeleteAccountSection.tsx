import { useState, type FormEvent } from 'react';
import type { TallyApi } from '../../api/tally-api.js';
import { useAction } from '../../components/use-action.js';

export interface DeleteAccountSectionProps {
  api: TallyApi;
  /** The account is gone: back to the log-in page with a notice. */
  onSignedOut(notice: string | null): void;
}

/**
 * Deleting one's own account (DELETE /v1/me): the password again, then a second, explicit button,
 * so neither a stray click nor an unattended open tab can do it.
 */
export function DeleteAccountSection({ api, onSignedOut }: DeleteAccountSectionProps) {
  const [password, setPassword] = useState('');
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!asking) return setAsking(true);
    void run(async () => {
      await api.rest.deleteAccount(password);
      onSignedOut('Your account was deleted.');
    });
  }

  return (
    <section className="card settings-section" aria-labelledby="delete-account-title">
      <h2 id="delete-account-title">Delete account</h2>
      <p className="hint">
        Deletes your account, your personal workspace with its usage data, threads and API keys, and signs you out everywhere. A team workspace you
        own passes to its strongest remaining member. This cannot be undone.
      </p>
      <form className="settings-form" onSubmit={submit} aria-label="Delete account">
        <label>
          Password
          <input
            type="password"
            value={password}
            required
            autoComplete="current-password"
            onChange={(e) => {
              setPassword(e.target.value);
              setAsking(false);
            }}
          />
        </label>
        <div className="form-actions">
          {asking ? (
            <span className="confirm" role="group" aria-label="Delete your account for good?">
              <span className="confirm-question">Delete your account for good?</span>
              <button type="submit" className="small danger" disabled={busy}>Delete my account</button>
              <button type="button" className="small" onClick={() => setAsking(false)}>Cancel</button>
            </span>
          ) : (
            <button type="submit" className="danger">Delete account…</button>
          )}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
      </form>
    </section>
  );
}
