/** The pages of the app, addressed by the URL hash so a reload or a shared link opens the same one. */
/** `messageId`: a message of the thread to bring into view (a search hit). */
export type Route = { page: 'chat'; threadId: string | null; messageId?: string } | { page: 'usage' } | { page: 'prices' } | { page: 'settings' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `#/chat`, `#/chat/<threadId>`, `#/chat/<threadId>/<messageId>`, `#/usage`, `#/prices`, `#/settings`; anything else is the chat. */
export function parseRoute(hash: string): Route {
  const [page, id, messageId] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (page === 'usage') return { page: 'usage' };
  if (page === 'prices') return { page: 'prices' };
  if (page === 'settings') return { page: 'settings' };
  const threadId = id && UUID.test(id) ? id.toLowerCase() : null;
  return threadId && messageId && UUID.test(messageId) ? { page: 'chat', threadId, messageId: messageId.toLowerCase() } : { page: 'chat', threadId };
}

export function routeHash(route: Route): string {
  if (route.page === 'chat') return route.threadId ? `#/chat/${route.threadId}${route.messageId ? `/${route.messageId}` : ''}` : '#/chat';
  return `#/${route.page}`;
}

/** `#/oidc-complete` (success) or `#/oidc-complete?error=CODE`: where the server ends an OIDC sign-in. */
export function oidcOutcome(hash: string): { error: string | null } | null {
  if (!hash.startsWith('#/oidc-complete')) return null;
  const query = hash.split('?')[1] ?? '';
  return { error: new URLSearchParams(query).get('error') };
}
