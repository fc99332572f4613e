import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../src/http/authenticate.js';
import { ROUTE_ACCESS, accessOf, registerRouteAccess } from '../../src/http/route-access.js';

const noAuthenticator: Authenticator = {
  authenticate: () => Promise.reject(new Error('not used')),
  requireUser: () => Promise.resolve(),
  require: () => () => Promise.resolve(),
};

/** The route table every API route must be in, so none can slip out of authorization. */
describe('ROUTE_ACCESS', () => {
  it('refuses to register a /v1 route that is not in the table', async () => {
    const app = Fastify();
    registerRouteAccess(app, noAuthenticator);
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
    expect(accessOf('HEAD', '/v1/threads')).toBe('full');
    expect(accessOf('POST', '/v1/usage')).toBe('usage:write');
    expect(accessOf('GET', '/v1/nothing')).toBeUndefined();
  });
});
