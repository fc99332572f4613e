import {
  createAuthSession,
  createRestClient,
  createWsClient,
  type AuthSession,
  type RestClient,
  type WebSocketConstructor,
  type WsClient,
} from '@tally/client';
import type { SavedSession } from './saved-session.js';
import { watchWorkspaceRefusals, type WorkspaceRefusals } from './workspace-refusals.js';

/** The app's connection to the server: one of each client, built once at start-up. */
export interface TallyApi {
  rest: RestClient;
  session: AuthSession;
  ws: WsClient;
  /** The server's refusals of a workspace's requests (access ended, role lowered), seen on every REST call. */
  refusals: WorkspaceRefusals;
}

export function createTallyApi(deps: { origin: string; WebSocket: WebSocketConstructor; saved: SavedSession; fetch: typeof fetch }): TallyApi {
  const refusals = watchWorkspaceRefusals(deps.fetch);
  const rest: RestClient = createRestClient({
    baseUrl: deps.origin,
    fetch: refusals.fetch,
    // `session` is read when a request is made, after it exists.
    getAccessToken: () => session.getAccessToken(),
    onUnauthorized: () => session.forceRefresh(),
  });
  const session: AuthSession = createAuthSession({
    rest,
    cookie: true,
    onChange: (state) => deps.saved.saveSignedIn(state !== null),
  });
  const ws = createWsClient({
    url: deps.origin,
    WebSocket: deps.WebSocket,
    auth: { ticket: async () => (await rest.createWsTicket()).ticket },
  });
  return { rest, session, ws, refusals };
}
