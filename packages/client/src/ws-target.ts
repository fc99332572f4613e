import { WS_BEARER_PREFIX, WS_PATH, WS_SUBPROTOCOL, WsConnectQuerySchema } from '@tally/protocol';
import { apiQuery } from './api-query.js';
import { TallyApiError } from './errors.js';
import type { WsAuth } from './ws-client-types.js';

/** Where and how to open one connection: the URL (with a fresh ticket) or the bearer subprotocols. */
export async function resolveWsTarget(origin: string, auth: WsAuth): Promise<{ url: string; protocols?: string[] }> {
  const base = `${origin.replace(/\/+$/, '').replace(/^http(s?):/i, 'ws$1:')}${WS_PATH}`;
  if ('ticket' in auth) return { url: `${base}${apiQuery(WsConnectQuerySchema, { ticket: await auth.ticket() })}` };
  const token = await auth.bearer();
  if (!token) throw new TallyApiError(401, 'AUTH_REQUIRED', 'Not signed in.');
  return { url: base, protocols: [WS_SUBPROTOCOL, `${WS_BEARER_PREFIX}${token}`] };
}
