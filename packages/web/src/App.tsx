import { useCallback, useEffect, useState } from 'react';
import { isAuthError } from '@tally/client';
import type { Thread, User } from '@tally/protocol';
import type { SavedSession } from './api/saved-session.js';
import { ERROR_CODES, type ErrorCode } from '@tally/protocol';
import type { TallyApi } from './api/tally-api.js';
import { ConnectionIndicator } from './components/ConnectionIndicator.js';
import { AuthForm } from './features/auth/AuthForm.js';
import { ChatView } from './features/chat/ChatView.js';
import { useRunViews } from './features/chat/use-run-views.js';
import { ThreadList } from './features/threads/ThreadList.js';
import { UsageUpload } from './features/usage/UsageUpload.js';
import { errorMessage } from './format.js';

type Phase = { kind: 'restoring' } | { kind: 'signed_out'; notice: string | null } | { kind: 'signed_in'; user: User };

export interface AppProps {
  api: TallyApi;
  saved: SavedSession;
  origin: string;
}

export function App({ api, saved, origin }: AppProps) {
  const [phase, setPhase] = useState<Phase>(() => (saved.wasSignedIn() ? { kind: 'restoring' } : { kind: 'signed_out', notice: null }));
  const [threads, setThreads] = useState<Thread[]>([]);
  const [threadId, setThreadId] = useState<string | null>(null);
  const [threadsError, setThreadsError] = useState<string | null>(null);
  const runs = useRunViews(api.ws);

  const selectThread = useCallback(
    (id: string | null) => {
      setThreadId(id);
      saved.saveLastThreadId(id);
    },
    [saved],
  );

  const refreshThreads = useCallback(async () => {
    try {
      setThreads(await api.rest.listThreads());
      setThreadsError(null);
    } catch (error) {
      setThreadsError(errorMessage(error));
    }
  }, [api]);

  const signedOut = useCallback(
    (notice: string | null) => {
      api.ws.close();
      api.session.signOut();
      setThreads([]);
      setThreadId(null);
      setPhase({ kind: 'signed_out', notice });
    },
    [api],
  );

  // A reload, or the end of an OpenID Connect sign-in: sign in again with the refresh cookie.
  useEffect(() => {
    const oidc = oidcOutcome(window.location.hash);
    if (oidc) window.history.replaceState(null, '', window.location.pathname + '#/');
    if (oidc?.error) {
      setPhase({ kind: 'signed_out', notice: oidcErrorMessage(oidc.error) });
      return;
    }
    if (!oidc && !saved.wasSignedIn()) return;
    if (oidc) setPhase({ kind: 'restoring' });
    api.session.restore().then(
      (user) => setPhase({ kind: 'signed_in', user }),
      (error: unknown) => {
        saved.saveSignedIn(false);
        setPhase({ kind: 'signed_out', notice: isAuthError(error) ? 'Your session has expired; please log in again.' : errorMessage(error) });
      },
    );
  }, [api, saved]);

  // Signed in: connect, load the threads and reopen the last one.
  useEffect(() => {
    if (phase.kind !== 'signed_in') return;
    void api.ws.connect().catch(() => undefined); // the indicator shows the state
    let cancelled = false;
    void api.rest.listThreads().then(
      (list) => {
        if (cancelled) return;
        setThreads(list);
        const last = saved.lastThreadId();
        if (last && list.some((t) => t.id === last)) setThreadId(last);
      },
      (error: unknown) => !cancelled && setThreadsError(errorMessage(error)),
    );
    const offError = api.ws.on('error', (error) => {
      if (isAuthError(error)) signedOut('Your session has expired; please log in again.');
    });
    // A finished run may have renamed its thread or moved it to the top.
    const offDone = api.ws.on('event', (event) => {
      if (event.type === 'run_completed' || event.type === 'run_failed' || event.type === 'run_cancelled') void refreshThreads();
    });
    return () => {
      cancelled = true;
      offError();
      offDone();
    };
  }, [api, phase.kind, saved, refreshThreads, signedOut]);

  if (phase.kind === 'restoring') return <main className="auth"><p className="muted">Signing you back in…</p></main>;
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

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Tally</span>
        <ConnectionIndicator ws={api.ws} />
        <span className="spacer" />
        <span className="muted user-email">{phase.user.email}</span>
        <button
          type="button"
          className="small"
          onClick={() => {
            saved.saveLastThreadId(null);
            signedOut(null);
          }}
        >
          Log out
        </button>
      </header>
      <div className="layout">
        <aside className="sidebar">
          <UsageUpload origin={origin} getAccessToken={() => api.session.getAccessToken()} />
          {threadsError && <p className="error">{threadsError}</p>}
          <ThreadList threads={threads} selectedId={threadId} onSelect={selectThread} />
        </aside>
        <main className="main">
          <ChatView
            api={api}
            threadId={threadId}
            runs={runs}
            onThreadStarted={(id) => {
              selectThread(id);
              void refreshThreads();
            }}
          />
        </main>
      </div>
    </div>
  );
}

/** `#/oidc-complete` (success) or `#/oidc-complete?error=CODE`: where the server ends an OIDC sign-in. */
function oidcOutcome(hash: string): { error: string | null } | null {
  if (!hash.startsWith('#/oidc-complete')) return null;
  const query = hash.split('?')[1] ?? '';
  return { error: new URLSearchParams(query).get('error') };
}

function oidcErrorMessage(code: string): string {
  return code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].message : 'Signing in with your identity provider failed.';
}
