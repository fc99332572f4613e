/** The pages of the app, addressed by the URL hash so a reload or a shared link opens the same one. */
/** `messageId`: a message of the thread to bring into view (a search hit). */
/** `workspaceId`: the workspace whose members are open; `join`: the invitation the tab holds. */
export type Route =
  | { page: 'chat'; threadId: string | null; messageId?: string }
  | { page: 'usage' }
  | { page: 'reconciliation' }
  | { page: 'prices' }
  | { page: 'settings' }
  | { page: 'workspaces'; workspaceId: string | null }
  | { page: 'join' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `#/chat`, `#/chat/<threadId>`, `#/chat/<threadId>/<messageId>`, `#/usage`, `#/reconciliation`, `#/prices`, `#/settings`,
 * `#/workspaces`, `#/workspaces/<workspaceId>`, `#/join`; anything else is the chat.
 */
export function parseRoute(hash: string): Route {
  const [page, id, messageId] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (page === 'usage') return { page: 'usage' };
  if (page === 'reconciliation') return { page: 'reconciliation' };
  if (page === 'prices') return { page: 'prices' };
  if (page === 'settings') return { page: 'settings' };
  if (page === 'join') return { page: 'join' };
  if (page === 'workspaces') return { page: 'workspaces', workspaceId: id && UUID.test(id) ? id.toLowerCase() : null };
  const threadId = id && UUID.test(id) ? id.toLowerCase() : null;
  return threadId && messageId && UUID.test(messageId) ? { page: 'chat', threadId, messageId: messageId.toLowerCase() } : { page: 'chat', threadId };
}

export function routeHash(route: Route): string {
  if (route.page === 'chat') return route.threadId ? `#/chat/${route.threadId}${route.messageId ? `/${route.messageId}` : ''}` : '#/chat';
  if (route.page === 'workspaces') return route.workspaceId ? `#/workspaces/${route.workspaceId}` : '#/workspaces';
  return `#/${route.page}`;
}

/** `#/oidc-complete` (success) or `#/oidc-complete?error=CODE`: where the server ends an OIDC sign-in. */
export function oidcOutcome(hash: string): { error: string | null } | null {
  if (!hash.startsWith('#/oidc-complete')) return null;
  const query = hash.split('?')[1] ?? '';
  return { error: new URLSearchParams(query).get('error') };
}
