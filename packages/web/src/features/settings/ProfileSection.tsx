import { useState, type FormEvent } from 'react';
import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';

export interface ProfileSectionProps {
  api: TallyApi;
  user: User;
  onUserChanged(user: User): void;
}

/** Display name (editable) and email (read-only: it is the log-in). */
export function ProfileSection({ api, user, onUserChanged }: ProfileSectionProps) {
  const [displayName, setDisplayName] = useState(user.displayName ?? '');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setStatus(null);
    try {
      const name = displayName.trim();
      const updated = await api.rest.updateProfile({ displayName: name === '' ? null : name });
      onUserChanged(updated);
      setStatus({ ok: true, text: 'Saved.' });
    } catch (error) {
      setStatus({ ok: false, text: errorMessage(error) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card settings-section" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form className="settings-form" onSubmit={save}>
        <label>
          Email
          <input type="email" value={user.email} readOnly aria-readonly="true" />
        </label>
        <label>
          Display name
          <input value={displayName} maxLength={100} autoComplete="name" onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={saving}>Save profile</button>
          {status && <span className={status.ok ? 'good' : 'error'} role={status.ok ? 'status' : 'alert'}>{status.text}</span>}
        </div>
      </form>
    </section>
  );
}
