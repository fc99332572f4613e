import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';

export interface SettingsPageProps {
  api: TallyApi;
  user: User;
  /** The user's profile changed (a new display name): the shell shows the new one. */
  onUserChanged(user: User): void;
  /** This session ended (password change elsewhere, own session revoked): back to the log-in page. */
  onSignedOut(notice: string | null): void;
}

/** Settings: profile and password, sessions, API keys; for admins, users, prices, LLM (route `#/settings`). */
export function SettingsPage({ user }: SettingsPageProps) {
  return (
    <section className="page settings-page" aria-label="Settings">
      <h1>Settings</h1>
      <p>{user.email}</p>
    </section>
  );
}
