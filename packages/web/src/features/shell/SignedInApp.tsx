import { useCallback, useEffect } from 'react';
import { isAuthError } from '@tally/client';
import type { User } from '@tally/protocol';
import type { SavedSession } from '../../api/saved-session.js';
import type { TallyApi } from '../../api/tally-api.js';
import { ChatView } from '../chat/ChatView.js';
import { useRunViews } from '../chat/use-run-views.js';
import { SettingsPage } from '../settings/SettingsPage.js';
import { ThreadSidebar } from '../threads/ThreadSidebar.js';
import { useThreads } from '../threads/use-threads.js';
import { UsagePage } from '../usage/UsagePage.js';
import { PricesPage } from '../prices/PricesPage.js';
import { JoinPage } from '../workspaces/JoinPage.js';
import type { PendingInvitation } from '../workspaces/pending-invitation.js';
import { WorkspacesPage } from '../workspaces/WorkspacesPage.js';
import { AppShell } from './AppShell.js';
import { useHashRoute } from './use-hash-route.js';

export interface SignedInAppProps {
  api: TallyApi;
  saved: SavedSession;
  origin: string;
  invitation: PendingInvitation;
  user: User;
  onUserChanged: (user: User) => void;
  /** Log out, or the session ended: back to the log-in page with an optional notice. */
  onSignedOut: (notice: string | null) => void;
}

/** Everything behind the log-in: the socket, the routes, the thread list and the pages. */
export function SignedInApp({ api, saved, origin, invitation, user, onUserChanged, onSignedOut }: SignedInAppProps) {
  const { route, navigate } = useHashRoute(window.location, window.history);
  const threads = useThreads(api);
  const runs = useRunViews(api.ws);
  const threadId = route.page === 'chat' ? route.threadId : null;

  useEffect(() => {
    void api.ws.connect().catch(() => undefined); // the indicator shows the state
    return api.ws.on('error', (error) => {
      if (isAuthError(error)) onSignedOut('Your session has expired; please log in again.');
    });
  }, [api, onSignedOut]);

  // An invitation link opened before signing in (or an identity provider's redirect since): show it first.
  useEffect(() => {
    if (invitation.token() && route.page !== 'join') navigate({ page: 'join' }, true);
    // Once, at sign-in.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Back in the chat with no thread in the address (a fresh sign-in): reopen the last one.
  const { threads: list, loaded } = threads;
  useEffect(() => {
    if (!loaded || route.page !== 'chat' || route.threadId) return;
    const last = saved.lastThreadId();
    if (last && list.some((t) => t.id === last)) navigate({ page: 'chat', threadId: last }, true);
    // Only when the list first arrives: "New thread" later must stay empty.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);

  useEffect(() => {
    if (route.page === 'chat') saved.saveLastThreadId(route.threadId);
  }, [route, saved]);

  const selectThread = useCallback(
    (id: string | null, messageId?: string) => navigate(id && messageId ? { page: 'chat', threadId: id, messageId } : { page: 'chat', threadId: id }),
    [navigate],
  );

  return (
    <AppShell
      user={user}
      ws={api.ws}
      route={route}
      onLogOut={() => {
        saved.saveLastThreadId(null);
        onSignedOut(null);
      }}
      sidebar={route.page === 'chat' ? <ThreadSidebar threads={threads} selectedId={threadId} onSelect={selectThread} /> : undefined}
      sidebarLabel="Threads"
    >
      {route.page === 'chat' && (
        <ChatView
          api={api}
          threadId={threadId}
          threadTitle={list.find((t) => t.id === threadId)?.title}
          focusMessageId={route.page === 'chat' ? route.messageId : undefined}
          runs={runs}
          onThreadStarted={(id) => {
            selectThread(id);
            void threads.refresh();
          }}
        />
      )}
      {route.page === 'usage' && <UsagePage api={api} user={user} origin={origin} />}
      {route.page === 'prices' && <PricesPage api={api} />}
      {route.page === 'workspaces' && (
        <WorkspacesPage api={api} user={user} workspaceId={route.workspaceId} onOpen={(id) => navigate({ page: 'workspaces', workspaceId: id })} />
      )}
      {route.page === 'join' && <JoinPage api={api} pending={invitation} />}
      {route.page === 'settings' && <SettingsPage api={api} user={user} onUserChanged={onUserChanged} onSignedOut={onSignedOut} />}
    </AppShell>
  );
}
