import { useCallback, useEffect, useRef } from 'react';
import { isAuthError } from '@tally/client';
import type { User, Workspace } from '@tally/protocol';
import type { SavedSession } from '../../api/saved-session.js';
import type { TallyApi } from '../../api/tally-api.js';
import { ChatView } from '../chat/ChatView.js';
import { useRunViews } from '../chat/use-run-views.js';
import { SettingsPage } from '../settings/SettingsPage.js';
import { ThreadSidebar } from '../threads/ThreadSidebar.js';
import { useThreads } from '../threads/use-threads.js';
import { UsagePage } from '../usage/UsagePage.js';
import { PricesPage } from '../prices/PricesPage.js';
import { ReconciliationPage } from '../reconciliation/ReconciliationPage.js';
import { JoinPage } from '../workspaces/JoinPage.js';
import type { PendingInvitation } from '../workspaces/pending-invitation.js';
import { useCurrentWorkspace, type CurrentWorkspace } from '../workspaces/use-current-workspace.js';
import { WorkspacesPage } from '../workspaces/WorkspacesPage.js';
import { AppShell } from './AppShell.js';
import { useHashRoute } from './use-hash-route.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';

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

/**
 * Everything behind the log-in: the socket, the current workspace (the switcher's), the routes,
 * and the pages, each showing that workspace's data.
 */
export function SignedInApp(props: SignedInAppProps) {
  const { api, saved, onSignedOut } = props;
  const workspaces = useCurrentWorkspace(api, saved);

  useEffect(() => {
    void api.ws.connect().catch(() => undefined); // the indicator shows the state
    return api.ws.on('error', (error) => {
      if (isAuthError(error)) onSignedOut('Your session has expired; please log in again.');
    });
  }, [api, onSignedOut]);

  if (!workspaces.current) {
    return (
      <main className="auth">
        {workspaces.error ? (
          <p className="error" role="alert">Could not load your workspaces: {workspaces.error}</p>
        ) : (
          <p className="muted" role="status">Loading your workspaces…</p>
        )}
      </main>
    );
  }
  return <WorkspaceApp {...props} workspaces={workspaces} workspace={workspaces.current} />;
}

/** The app in one workspace; the switcher changes it under the same route. */
function WorkspaceApp({
  api,
  saved,
  origin,
  invitation,
  user,
  onUserChanged,
  onSignedOut,
  workspaces,
  workspace,
}: SignedInAppProps & { workspaces: CurrentWorkspace; workspace: Workspace }) {
  const { route, navigate } = useHashRoute(window.location, window.history);
  const threads = useThreads(api, workspace.id);
  const runs = useRunViews(api.ws);
  const threadId = route.page === 'chat' ? route.threadId : null;

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

  // Back in the chat from another page: the list again, for what colleagues shared meanwhile
  // (sharing sends no socket activity; the list loads by itself on the first visit).
  const onChat = route.page === 'chat';
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current && onChat) void threads.refresh();
    mounted.current = true;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [onChat]);

  const selectThread = useCallback(
    (id: string | null, messageId?: string) => navigate(id && messageId ? { page: 'chat', threadId: id, messageId } : { page: 'chat', threadId: id }),
    [navigate],
  );

  // Another workspace picked, or the app fell back to the personal one: an open thread was the
  // last workspace's, and the members page follows the pick.
  const shownWorkspace = useRef(workspace.id);
  useEffect(() => {
    if (shownWorkspace.current === workspace.id) return;
    shownWorkspace.current = workspace.id;
    if (route.page === 'chat' && route.threadId) navigate({ page: 'chat', threadId: null });
    if (route.page === 'workspaces' && route.workspaceId) navigate({ page: 'workspaces', workspaceId: workspace.id });
  }, [workspace.id, route, navigate]);

  return (
    <AppShell
      user={user}
      ws={api.ws}
      route={route}
      onLogOut={() => {
        saved.saveLastThreadId(null);
        onSignedOut(null);
      }}
      sidebar={route.page === 'chat' ? <ThreadSidebar workspace={workspace} threads={threads} selectedId={threadId} onSelect={selectThread} /> : undefined}
      sidebarLabel="Threads"
      switcher={<WorkspaceSwitcher workspaces={workspaces.workspaces} current={workspace} onSelect={workspaces.select} />}
      notice={workspaces.notice ? { text: workspaces.notice, onDismiss: workspaces.dismissNotice } : null}
    >
      {route.page === 'chat' && (
        <ChatView
          key={workspace.id}
          api={api}
          workspace={workspace}
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
      {route.page === 'usage' && <UsagePage key={workspace.id} api={api} workspace={workspace} origin={origin} />}
      {route.page === 'reconciliation' && <ReconciliationPage key={workspace.id} api={api} workspace={workspace} />}
      {route.page === 'prices' && <PricesPage api={api} />}
      {route.page === 'workspaces' && (
        <WorkspacesPage
          api={api}
          user={user}
          workspaces={workspaces}
          workspaceId={route.workspaceId ?? workspace.id}
          onOpen={(id) => navigate({ page: 'workspaces', workspaceId: id })}
          onUse={workspaces.select}
        />
      )}
      {route.page === 'join' && <JoinPage api={api} pending={invitation} onJoined={(joined) => void workspaces.reload().then(() => workspaces.select(joined.id))} />}
      {route.page === 'settings' && <SettingsPage api={api} user={user} onUserChanged={onUserChanged} onSignedOut={onSignedOut} />}
    </AppShell>
  );
}
