import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../src/http/authenticate.js';
import { ROUTE_ACCESS, accessOf, registerRouteAccess, workspaceAccessOf } from '../../src/http/route-access.js';
import type { WorkspaceGuard } from '../../src/http/workspace-guard.js';

const noAuthenticator: Authenticator = {
  authenticate: () => Promise.reject(new Error('not used')),
  require: () => () => Promise.resolve(),
};
const noWorkspaceGuard: WorkspaceGuard = () => Promise.reject(new Error('not used'));
const guards = (authenticator: Authenticator, workspaceGuard: WorkspaceGuard = noWorkspaceGuard) => ({ authenticator, workspaceGuard });

/** The route table every API route must be in, so none can slip out of authorization. */
describe('ROUTE_ACCESS', () => {
  it('refuses to register a /v1 route that is not in the table', async () => {
    const app = Fastify();
    registerRouteAccess(app, guards(noAuthenticator));
    expect(() => app.get('/v1/forgotten', async () => ({}))).toThrow(/no single entry in ROUTE_ACCESS/);
    // The web app's paths are not API routes.
    expect(() => app.get('/assets/x', async () => ({}))).not.toThrow();
    await app.close();
  });

  it('puts admin routes, and only them, under /v1/admin; HEAD follows GET', () => {
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      const [method, url] = key.split(' ') as [string, string];
      expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).toContain(method);
      expect(url.startsWith('/v1/admin/') || url === '/v1/admin', key).toBe(access === 'admin');
    }
    expect(accessOf('HEAD', '/v1/prices')).toBe('full');
    expect(accessOf('POST', '/v1/workspaces/:workspaceId/usage')).toBe('usage:write');
    expect(accessOf('GET', '/v1/nothing')).toBeUndefined();
  });

  it('is the only guard: a route registered in a nested plugin runs its entry\'s guard before its own preHandlers', async () => {
    const calls: string[] = [];
    const recording: Authenticator = {
      authenticate: () => Promise.reject(new Error('not used')),
      require: (access) => async () => {
        calls.push(`guard ${access}`);
        if (access === 'admin') throw Object.assign(new Error('refused'), { statusCode: 403 });
      },
    };
    const app = Fastify();
    registerRouteAccess(app, guards(recording));
    await app.register(async (outer) => {
      await outer.register(async (inner) => {
        inner.get('/v1/admin/users', { preHandler: async () => void calls.push('own preHandler') }, async () => ({ reached: true }));
        inner.get('/v1/prices', async () => ({ reached: true }));
        inner.get('/v1/health', async () => ({ reached: true }));
      });
    });
    expect((await app.inject({ method: 'GET', url: '/v1/admin/users' })).statusCode).toBe(403);
    expect(calls).toEqual(['guard admin']);
    expect((await app.inject({ method: 'GET', url: '/v1/prices' })).json()).toEqual({ reached: true });
    expect((await app.inject({ method: 'GET', url: '/v1/health' })).json()).toEqual({ reached: true });
    expect(calls).toEqual(['guard admin', 'guard full']);
    // A route missing from the table fails closed inside a plugin too: the plugin does not load.
    const strict = Fastify();
    registerRouteAccess(strict, guards(recording));
    await expect(strict.register(async (p) => void p.post('/v1/threads', async () => ({}))).ready()).rejects.toThrow(/no single entry in ROUTE_ACCESS/);
    await app.close();
    await strict.close();
  });

  it('authorises a route naming a workspace by its entry\'s permission, after the credential, before the handler', async () => {
    const calls: string[] = [];
    const recording: Authenticator = {
      authenticate: () => Promise.reject(new Error('not used')),
      require: (access) => async () => void calls.push(`guard ${access}`),
    };
    const workspaceGuard: WorkspaceGuard = async (request, permission) => {
      calls.push(`workspace ${permission}`);
      if (permission === 'audit.read') throw Object.assign(new Error('refused'), { statusCode: 403 });
      return { workspaceId: (request.params as { workspaceId: string }).workspaceId, userId: 'u', role: 'viewer' };
    };
    const app = Fastify();
    registerRouteAccess(app, guards(recording, workspaceGuard));
    app.get('/v1/workspaces/:workspaceId', async (request) => ({ workspace: workspaceAccessOf(request).workspaceId }));
    app.get('/v1/workspaces/:workspaceId/audit', async () => ({ reached: true }));
    expect((await app.inject({ method: 'GET', url: '/v1/workspaces/w1' })).json()).toEqual({ workspace: 'w1' });
    expect((await app.inject({ method: 'GET', url: '/v1/workspaces/w1/audit' })).statusCode).toBe(403);
    expect(calls).toEqual(['guard signed-in', 'workspace workspace.read', 'guard signed-in', 'workspace audit.read']);
    await app.close();
  });

  it('gives every route that names a workspace a workspace permission, and no other route one', () => {
    for (const [key, rule] of Object.entries(ROUTE_ACCESS)) {
      expect(key.includes(':workspaceId'), key).toBe(typeof rule === 'object');
    }
  });
});
