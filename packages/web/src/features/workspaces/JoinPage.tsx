import { useState } from 'react';
import { TallyApiError } from '@tally/client';
import type { Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { useAction } from '../../components/use-action.js';
import { routeHash } from '../shell/route.js';
import type { PendingInvitation } from './pending-invitation.js';
import { ROLE_HINTS, ROLE_LABELS } from './role-labels.js';
import '../settings/settings.css';

/** Answers after which the token is of no more use to this tab (a wrong account may still sign in again). */
const SPENT = new Set(['WORKSPACE_INVITATION_INVALID', 'WORKSPACE_ALREADY_MEMBER']);

/**
 * Where an invitation link lands once signed in (route `#/join`): accepting joins the workspace
 * with the invitation's role, and makes it the one the app shows. The server tells the workspace
 * and role only to its members, so they are shown once joined.
 */
export function JoinPage({ api, pending, onJoined }: { api: TallyApi; pending: PendingInvitation; onJoined(workspace: Workspace): void }) {
  const [token, setToken] = useState(() => pending.token());
  const [joined, setJoined] = useState<Workspace | null>(null);
  const { busy, error, run } = useAction();

  function accept(t: string) {
    void run(
      async () => {
        const workspace = await api.rest.workspaces.acceptInvitation(t);
        setJoined(workspace);
        pending.clear();
        setToken(null);
        onJoined(workspace);
      },
      (err) => {
        if (err instanceof TallyApiError && SPENT.has(err.code)) {
          pending.clear();
          setToken(null);
        }
      },
    );
  }

  function decline() {
    pending.clear();
    setToken(null);
  }

  return (
    <section className="page settings-page" aria-labelledby="join-title">
      <h1 id="join-title">Join a workspace</h1>
      <div className="card settings-section">
        {joined ? (
          <>
            <p className="good" role="status">
              You joined <strong>{joined.name}</strong> as {ROLE_LABELS[joined.role].toLowerCase()}: {ROLE_HINTS[joined.role]}.
            </p>
            <p><a href={routeHash({ page: 'workspaces', workspaceId: joined.id })}>Open {joined.name}</a></p>
          </>
        ) : token ? (
          <>
            <p>You were invited to a workspace on Tally. Accepting joins it with the role your inviter chose; you can leave it later.</p>
            <div className="form-actions">
              <button type="button" className="primary" disabled={busy} onClick={() => accept(token)}>Accept invitation</button>
              <button type="button" disabled={busy} onClick={decline}>Not now</button>
            </div>
          </>
        ) : (
          !error && <p className="muted">No invitation to accept in this tab: open the link you were sent again.</p>
        )}
        {error && <p className="error" role="alert">{error}</p>}
      </div>
    </section>
  );
}
