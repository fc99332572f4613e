import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { AdminUsersSection } from '../admin/AdminUsersSection.js';
import { AnswerFeedbackSection } from '../admin/AnswerFeedbackSection.js';
import { AuditLogSection } from '../admin/AuditLogSection.js';
import { LlmSettingsSection } from '../admin/LlmSettingsSection.js';
import { PriceOverridesSection } from '../admin/PriceOverridesSection.js';
import { RepriceSection } from '../admin/RepriceSection.js';
import { DeleteAccountSection } from './DeleteAccountSection.js';
import { PasswordSection } from './PasswordSection.js';
import { ProfileSection } from './ProfileSection.js';
import { SessionsSection } from './SessionsSection.js';
import { routeHash } from '../shell/route.js';
import './settings.css';

export interface SettingsPageProps {
  api: TallyApi;
  user: User;
  /** The user's profile changed (a new display name): the shell shows the new one. */
  onUserChanged(user: User): void;
  /** This session ended (password change elsewhere, own session revoked): back to the log-in page. */
  onSignedOut(notice: string | null): void;
}

/** Settings: profile and password, sessions, deleting the account; for admins, users, prices, LLM (route `#/settings`). */
export function SettingsPage({ api, user, onUserChanged, onSignedOut }: SettingsPageProps) {
  return (
    <section className="page settings-page" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <div className="settings-columns">
        <ProfileSection api={api} user={user} onUserChanged={onUserChanged} />
        <PasswordSection api={api} />
      </div>
      <SessionsSection api={api} onSignedOut={onSignedOut} />
      <p className="hint" data-testid="api-keys-moved">
        API keys belong to a workspace: see <a href={routeHash({ page: 'workspaces', workspaceId: null })}>Workspaces</a>, under the workspace they upload to.
      </p>
      <DeleteAccountSection api={api} onSignedOut={onSignedOut} />
      {user.role === 'admin' && (
        <section className="admin-area" aria-labelledby="admin-title">
          <h1 id="admin-title" className="admin-title">Administration</h1>
          <AdminUsersSection api={api} selfId={user.id} />
          <PriceOverridesSection api={api} />
          <RepriceSection api={api} />
          <LlmSettingsSection api={api} />
          <AnswerFeedbackSection api={api} />
          <AuditLogSection api={api} />
        </section>
      )}
    </section>
  );
}
