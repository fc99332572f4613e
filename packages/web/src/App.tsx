import { useCallback, useEffect, useState } from 'react';
import { isAuthError } from '@tally/client';
import { ERROR_CODES, type ErrorCode, type User } from '@tally/protocol';
import type { SavedSession } from './api/saved-session.js';
import type { TallyApi } from './api/tally-api.js';
import { AuthForm } from './features/auth/AuthForm.js';
import { oidcOutcome } from './features/shell/route.js';
import { SignedInApp } from './features/shell/SignedInApp.js';
import type { PendingInvitation } from './features/workspaces/pending-invitation.js';
import { errorMessage } from './format.js';

type Phase = { kind: 'restoring' } | { kind: 'signed_out'; notice: string | null } | { kind: 'signed_in'; user: User };

export interface AppProps {
  api: TallyApi;
  saved: SavedSession;
  origin: string;
  /** An invitation link's token, kept through signing in. */
  invitation: PendingInvitation;
}

/** Signing in and out; once signed in, the app itself. */
export function App({ api, saved, origin, invitation }: AppProps) {
  const [phase, setPhase] = useState<Phase>(() =>
    saved.wasSignedIn() || oidcOutcome(window.location.hash) ? { kind: 'restoring' } : { kind: 'signed_out', notice: invitation.token() ? INVITED : null },
  );

  const signedOut = useCallback(
    (notice: string | null) => {
      api.ws.close();
      api.session.signOut();
      setPhase({ kind: 'signed_out', notice });
    },
    [api],
  );
  const userChanged = useCallback((user: User) => setPhase({ kind: 'signed_in', user }), []);

  // A reload, or the end of an OpenID Connect sign-in: sign in again with the refresh cookie.
  useEffect(() => {
    const oidc = oidcOutcome(window.location.hash);
    if (oidc) window.history.replaceState(null, '', window.location.pathname + '#/chat');
    if (oidc?.error) {
      setPhase({ kind: 'signed_out', notice: oidcErrorMessage(oidc.error) });
      return;
    }
    if (!oidc && !saved.wasSignedIn()) return;
    api.session.restore().then(
      (user) => setPhase({ kind: 'signed_in', user }),
      (error: unknown) => {
        saved.saveSignedIn(false);
        setPhase({ kind: 'signed_out', notice: isAuthError(error) ? 'Your session has expired; please log in again.' : errorMessage(error) });
      },
    );
  }, [api, saved]);

  if (phase.kind === 'restoring') {
    return (
      <main className="auth">
        <p className="muted" role="status">Signing you back in…</p>
      </main>
    );
  }
  if (phase.kind === 'signed_out') {
    return (
      <AuthForm
        notice={phase.notice}
        onSubmit={async (mode, credentials) => {
          const user = mode === 'login' ? await api.session.login(credentials) : await api.session.signup(credentials);
          setPhase({ kind: 'signed_in', user });
        }}
      />
    );
  }
  return <SignedInApp api={api} saved={saved} origin={origin} invitation={invitation} user={phase.user} onUserChanged={userChanged} onSignedOut={signedOut} />;
}

const INVITED = 'You were invited to a workspace: log in, or sign up, to accept.';

function oidcErrorMessage(code: string): string {
  return code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].message : 'Signing in with your identity provider failed.';
}
