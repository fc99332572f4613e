import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { WorkspacePermission } from '@tally/protocol';
import type { Authenticator, GuardedAccess, RouteAccess } from './authenticate.js';
import type { WorkspaceAccess, WorkspaceGuard } from './workspace-guard.js';

/**
 * A route that names a workspace (`/v1/workspaces/:workspaceId/...`): the credential must allow
 * `access`, then the workspace guard checks the caller's membership and that their role has
 * `workspace` (workspace-roles.ts). An API key works only in its own workspace.
 */
export interface WorkspaceRouteAccess {
  access: GuardedAccess;
  workspace: WorkspacePermission;
}

export type RouteRule = RouteAccess | WorkspaceRouteAccess;

/** Shorthand for the table: a workspace route for a person (no API key) needing `permission`. */
const personIn = (workspace: WorkspacePermission) => ({ access: 'signed-in', workspace }) as const satisfies WorkspaceRouteAccess;

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
  'POST /v1/otlp/v1/traces': 'usage:write',
  'POST /v1/otlp/v1/logs': 'usage:write',
  'POST /v1/otlp/v1/metrics': 'usage:write',

  // Workspaces: a person manages membership (no API key). Each route naming a workspace is
  // authorised by membership and the role's permission here (http/workspace-guard.ts checks it).
  'GET /v1/workspaces': 'signed-in',
  'POST /v1/workspaces': 'signed-in',
  'POST /v1/workspaces/invitations/accept': 'signed-in',
  'GET /v1/workspaces/:workspaceId': personIn('workspace.read'),
  'GET /v1/workspaces/:workspaceId/members': personIn('workspace.read'),
  'PATCH /v1/workspaces/:workspaceId/members/:userId': personIn('members.manage'),
  'DELETE /v1/workspaces/:workspaceId/members/:userId': personIn('members.manage'),
  'POST /v1/workspaces/:workspaceId/leave': personIn('workspace.read'),
  'POST /v1/workspaces/:workspaceId/transfer': personIn('ownership.manage'),
  'GET /v1/workspaces/:workspaceId/invitations': personIn('members.manage'),
  'POST /v1/workspaces/:workspaceId/invitations': personIn('members.manage'),
  'DELETE /v1/workspaces/:workspaceId/invitations/:invitationId': personIn('members.manage'),
  'GET /v1/workspaces/:workspaceId/audit': personIn('audit.read'),

  // Threads and runs of a workspace: members read their own and the shared ones; only a thread's
  // author changes it or its runs (the services answer THREAD_READ_ONLY to others). Sharing
  // publishes to the workspace, so it needs what asking needs.
  'GET /v1/workspaces/:workspaceId/threads': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/threads/:threadId': { access: 'full', workspace: 'workspace.read' },
  'PATCH /v1/workspaces/:workspaceId/threads/:threadId': { access: 'full', workspace: 'workspace.read' },
  'DELETE /v1/workspaces/:workspaceId/threads/:threadId': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/threads/:threadId/messages': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/threads/:threadId/feedback': { access: 'full', workspace: 'workspace.read' },
  'PUT /v1/workspaces/:workspaceId/threads/:threadId/sharing': { access: 'full', workspace: 'agents.ask' },
  'GET /v1/workspaces/:workspaceId/runs/:runId': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/runs/:runId/events': { access: 'full', workspace: 'workspace.read' },
  'POST /v1/workspaces/:workspaceId/runs/:runId/stop': { access: 'full', workspace: 'workspace.read' },
  'PUT /v1/workspaces/:workspaceId/runs/:runId/feedback': { access: 'full', workspace: 'workspace.read' },
  'DELETE /v1/workspaces/:workspaceId/runs/:runId/feedback': { access: 'full', workspace: 'workspace.read' },

  // A workspace's usage: its members (and its own API keys, acting as their maker) upload and read it.
  'POST /v1/workspaces/:workspaceId/usage': { access: 'usage:write', workspace: 'usage.upload' },
  'GET /v1/workspaces/:workspaceId/usage/overview': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/usage/dashboard': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/usage/requests': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/usage/call-stats': { access: 'full', workspace: 'workspace.read' },
  // Computed versus billed, and which source totals come from: read like usage; only admins and owners choose the source.
  'GET /v1/workspaces/:workspaceId/reconciliation': { access: 'full', workspace: 'workspace.read' },
  'GET /v1/workspaces/:workspaceId/usage-sources': { access: 'full', workspace: 'workspace.read' },
  'PUT /v1/workspaces/:workspaceId/usage-sources': personIn('settings.manage'),
  // Its ingestion keys: a signed-in admin or owner (a leaked key cannot mint more).
  'POST /v1/workspaces/:workspaceId/api-keys': personIn('settings.manage'),
  'GET /v1/workspaces/:workspaceId/api-keys': personIn('settings.manage'),
  'DELETE /v1/workspaces/:workspaceId/api-keys/:keyId': personIn('settings.manage'),
  // Its provider connectors (issue 18): members see their status; admins and owners hold the admin keys.
  'GET /v1/workspaces/:workspaceId/connectors': personIn('workspace.read'),
  'GET /v1/workspaces/:workspaceId/connectors/:provider': personIn('workspace.read'),
  'PUT /v1/workspaces/:workspaceId/connectors/:provider': personIn('settings.manage'),
  'DELETE /v1/workspaces/:workspaceId/connectors/:provider': personIn('settings.manage'),
  'POST /v1/workspaces/:workspaceId/connectors/:provider/sync': personIn('settings.manage'),
  'POST /v1/workspaces/:workspaceId/connectors/:provider/backfill': personIn('settings.manage'),

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
} as const satisfies Record<string, RouteRule>;

export type RouteKey = keyof typeof ROUTE_ACCESS;

/** The rule of a route, or undefined when the table lacks it. */
export function ruleOf(method: string, url: string): RouteRule | undefined {
  const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
  return Object.hasOwn(ROUTE_ACCESS, key) ? ROUTE_ACCESS[key as RouteKey] : undefined;
}

/** The credential a route needs, or undefined when the table lacks it. */
export function accessOf(method: string, url: string): RouteAccess | undefined {
  const rule = ruleOf(method, url);
  return typeof rule === 'object' ? rule.access : rule;
}

/** The workspace permission a route needs; undefined for a route that names no workspace. */
export function workspacePermissionOf(rule: RouteRule): WorkspacePermission | undefined {
  return typeof rule === 'object' ? rule.workspace : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the workspace guard on a workspace route: the caller's standing there. */
    workspaceAccess: WorkspaceAccess | null;
  }
}

/** The caller's standing in the workspace a workspace route names (its guard ran first). */
export function workspaceAccessOf(request: FastifyRequest): WorkspaceAccess {
  if (!request.workspaceAccess) throw new Error(`${request.method} ${request.routeOptions.url ?? request.url} reads a workspace but its ROUTE_ACCESS entry names no workspace permission`);
  return request.workspaceAccess;
}

/**
 * Puts each /v1 route behind the guard its ROUTE_ACCESS entry names, ahead of the route's own
 * preHandlers; throws while the route is registered when it has no entry. Call it before any
 * route is registered. Paths outside /v1 (the web app) are public.
 */
export function registerRouteAccess(app: FastifyInstance, deps: { authenticator: Authenticator; workspaceGuard: WorkspaceGuard }): void {
  app.decorateRequest('workspaceAccess', null);
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const rules = new Set(methods.map((m) => ruleOf(m, route.url)));
    const [rule] = [...rules];
    if (rules.size !== 1 || rule === undefined) {
      throw new Error(`${methods.join(',')} ${route.url} has no single entry in ROUTE_ACCESS (packages/server/src/http/route-access.ts): every API route must say who may call it.`);
    }
    const namesWorkspace = route.url.includes(':workspaceId');
    const permission = workspacePermissionOf(rule);
    if (namesWorkspace !== (permission !== undefined)) {
      throw new Error(`${methods.join(',')} ${route.url}: a route names a workspace (:workspaceId) exactly when its ROUTE_ACCESS entry gives a workspace permission.`);
    }
    if (rule === 'public' || rule === 'gateway') return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    const access = typeof rule === 'object' ? rule.access : rule;
    const guards: Array<(request: FastifyRequest) => Promise<void>> = [deps.authenticator.require(access)];
    if (permission !== undefined) {
      guards.push(async (request: FastifyRequest) => {
        request.workspaceAccess = await deps.workspaceGuard(request, permission);
      });
    }
    route.preHandler = [...guards, ...own];
  });
}
