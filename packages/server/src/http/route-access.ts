import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Authenticator, RouteAccess } from './authenticate.js';

/**
 * Who may call each API route: the one table, which the server enforces and tests read. Every
 * route under /v1 must be here, or the server refuses to start (registerRouteAccess), so a route
 * added later cannot slip out of authorization. HEAD follows GET.
 */
export const ROUTE_ACCESS = {
  'GET /v1/health': 'public',
  'GET /v1/health/live': 'public',
  'GET /v1/health/ready': 'public',
  'POST /v1/auth/signup': 'public',
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/refresh': 'public',
  'POST /v1/auth/logout': 'public',
  'POST /v1/auth/reset-password': 'public',
  'GET /v1/auth/oidc/config': 'public',
  'GET /v1/auth/oidc/start': 'public',
  'GET /v1/auth/oidc/callback': 'public',
  'GET /v1/ws': 'gateway',

  'POST /v1/ws-tickets': 'full',
  'GET /v1/sessions': 'signed-in',
  'DELETE /v1/sessions': 'signed-in',
  'DELETE /v1/sessions/:id': 'signed-in',
  'POST /v1/me/password': 'signed-in',
  'GET /v1/me': 'signed-in',
  'PATCH /v1/me': 'signed-in',
  'DELETE /v1/me': 'signed-in',
  'GET /v1/threads': 'full',
  'GET /v1/threads/:id': 'full',
  'PATCH /v1/threads/:id': 'full',
  'DELETE /v1/threads/:id': 'full',
  'GET /v1/threads/:id/messages': 'full',
  'GET /v1/runs/:id': 'full',
  'GET /v1/runs/:id/events': 'full',
  'POST /v1/runs/:id/stop': 'full',
  'PUT /v1/runs/:id/feedback': 'full',
  'DELETE /v1/runs/:id/feedback': 'full',
  'GET /v1/threads/:id/feedback': 'full',
  'POST /v1/usage': 'usage:write',
  'GET /v1/usage/overview': 'full',
  'GET /v1/usage/dashboard': 'full',
  'GET /v1/usage/requests': 'full',
  'GET /v1/usage/call-stats': 'full',

  'POST /v1/api-keys': 'signed-in',
  'GET /v1/api-keys': 'signed-in',
  'DELETE /v1/api-keys/:id': 'signed-in',

  // Workspaces: a person manages membership (no API key); each route naming a workspace is then
  // authorised by membership and role in http/workspace-guard.ts.
  'GET /v1/workspaces': 'signed-in',
  'POST /v1/workspaces': 'signed-in',
  'POST /v1/workspaces/invitations/accept': 'signed-in',
  'GET /v1/workspaces/:workspaceId': 'signed-in',
  'GET /v1/workspaces/:workspaceId/members': 'signed-in',
  'PATCH /v1/workspaces/:workspaceId/members/:userId': 'signed-in',
  'DELETE /v1/workspaces/:workspaceId/members/:userId': 'signed-in',
  'POST /v1/workspaces/:workspaceId/leave': 'signed-in',
  'POST /v1/workspaces/:workspaceId/transfer': 'signed-in',
  'GET /v1/workspaces/:workspaceId/invitations': 'signed-in',
  'POST /v1/workspaces/:workspaceId/invitations': 'signed-in',
  'DELETE /v1/workspaces/:workspaceId/invitations/:invitationId': 'signed-in',
  'GET /v1/workspaces/:workspaceId/audit': 'signed-in',

  'GET /v1/admin/users': 'admin',
  'POST /v1/admin/users': 'admin',
  'PATCH /v1/admin/users/:id': 'admin',
  'DELETE /v1/admin/users/:id': 'admin',
  'POST /v1/admin/users/:id/reset-password': 'admin',
  'GET /v1/admin/audit': 'admin',
  'GET /v1/admin/feedback': 'admin',
  'GET /v1/admin/prices': 'admin',
  'PUT /v1/admin/prices': 'admin',
  'DELETE /v1/admin/prices': 'admin',
  'GET /v1/prices': 'full',
  'PUT /v1/admin/prices/discounts': 'admin',
  'PUT /v1/admin/prices/catalog': 'admin',
  'DELETE /v1/admin/prices/catalog': 'admin',
  'POST /v1/admin/prices/reprice/preview': 'admin',
  'POST /v1/admin/prices/reprice/apply': 'admin',
  'GET /v1/admin/prices/reprice/:id': 'admin',
  'GET /v1/admin/llm': 'admin',
  'POST /v1/admin/llm/test': 'admin',
  'PUT /v1/admin/llm': 'admin',
  'DELETE /v1/admin/llm': 'admin',
} as const satisfies Record<string, RouteAccess>;

export type RouteKey = keyof typeof ROUTE_ACCESS;

/** The access a route needs, or undefined when the table lacks it. */
export function accessOf(method: string, url: string): RouteAccess | undefined {
  const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
  return Object.hasOwn(ROUTE_ACCESS, key) ? ROUTE_ACCESS[key as RouteKey] : undefined;
}

/**
 * Puts each /v1 route behind the guard its ROUTE_ACCESS entry names, ahead of the route's own
 * preHandlers; throws while the route is registered when it has no entry. Call it before any
 * route is registered. Paths outside /v1 (the web app) are public.
 */
export function registerRouteAccess(app: FastifyInstance, authenticator: Authenticator): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const accesses = new Set(methods.map((m) => accessOf(m, route.url)));
    const [access] = [...accesses];
    if (accesses.size !== 1 || access === undefined) {
      throw new Error(`${methods.join(',')} ${route.url} has no single entry in ROUTE_ACCESS (packages/server/src/http/route-access.ts): every API route must say who may call it.`);
    }
    if (access === 'public' || access === 'gateway') return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [authenticator.require(access), ...own];
  });
}
