import { waitForUpdate } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS, type RouteKey } from '../../src/http/route-access.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { auditEvents } from './security-fixtures.js';

const ADMIN_ROUTES = (Object.keys(ROUTE_ACCESS) as RouteKey[]).filter((key) => ROUTE_ACCESS[key] === 'admin');

/**
 * A request for each admin route, in an order where each succeeds for an admin: `:id` is the
 * member's id. A new admin route without a request here fails the first test.
 */
interface AdminRequest {
  route: RouteKey;
  /** A function where the request needs what an earlier answer gave (`ids`), read when it is sent. */
  path: string | ((ids: RequestIds) => string);
  json?: unknown | ((ids: RequestIds) => unknown);
  status: number;
  /** Keeps what a later request needs from this one's answer (an admin's only). */
  keep?: (body: unknown, ids: RequestIds) => Promise<void> | void;
}
interface RequestIds {
  previewId: string;
}

function adminRequests(memberId: string, catalogData: unknown, waitForJob: (id: string) => Promise<void>): AdminRequest[] {
  return [
    { route: 'GET /v1/admin/users', path: '/v1/admin/users', status: 200 },
    { route: 'POST /v1/admin/users', path: '/v1/admin/users', json: { email: `roles-made-${process.pid}@example.com` }, status: 201 },
    { route: 'PATCH /v1/admin/users/:id', path: `/v1/admin/users/${memberId}`, json: { role: 'member' }, status: 200 },
    { route: 'POST /v1/admin/users/:id/reset-password', path: `/v1/admin/users/${memberId}/reset-password`, json: {}, status: 201 },
    // No account with this id: the admin is answered USER_NOT_FOUND (deleting one: security/account-deletion.test.ts).
    { route: 'DELETE /v1/admin/users/:id', path: '/v1/admin/users/00000000-0000-4000-8000-000000000000', status: 404 },
    { route: 'GET /v1/admin/feedback', path: '/v1/admin/feedback?limit=5', status: 200 },
    { route: 'GET /v1/admin/audit', path: '/v1/admin/audit?limit=5', status: 200 },
    { route: 'GET /v1/admin/prices', path: '/v1/admin/prices', status: 200 },
    { route: 'PUT /v1/admin/prices', path: '/v1/admin/prices', json: { model: 'roles-model', inputPerMTok: 1, outputPerMTok: 2 }, status: 200 },
    { route: 'DELETE /v1/admin/prices', path: '/v1/admin/prices?model=roles-model', status: 200 },
    { route: 'GET /v1/admin/llm', path: '/v1/admin/llm', status: 200 },
    { route: 'POST /v1/admin/llm/test', path: '/v1/admin/llm/test', json: {}, status: 200 },
    { route: 'PUT /v1/admin/llm', path: '/v1/admin/llm', json: { provider: 'offline' }, status: 200 },
    { route: 'DELETE /v1/admin/llm', path: '/v1/admin/llm', status: 200 },
    { route: 'PUT /v1/admin/prices/discounts', path: '/v1/admin/prices/discounts', json: { provider: 'openai', percent: 0 }, status: 200 },
    { route: 'PUT /v1/admin/prices/catalog', path: '/v1/admin/prices/catalog', json: catalogData, status: 200 },
    { route: 'DELETE /v1/admin/prices/catalog', path: '/v1/admin/prices/catalog', status: 200 },
    {
      route: 'POST /v1/admin/prices/reprice/preview',
      path: '/v1/admin/prices/reprice/preview',
      json: {},
      status: 202,
      keep: async (body, ids) => {
        ids.previewId = (body as { id: string }).id;
        await waitForJob(ids.previewId);
      },
    },
    { route: 'GET /v1/admin/prices/reprice/:id', path: (ids) => `/v1/admin/prices/reprice/${ids.previewId}`, status: 200 },
    { route: 'POST /v1/admin/prices/reprice/apply', path: '/v1/admin/prices/reprice/apply', json: (ids: RequestIds) => ({ previewId: ids.previewId }), status: 202 },
  ];
}

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`roles on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    let member: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      admin = await signUp(server.baseUrl, 'roles-admin');
      member = await signUp(server.baseUrl, 'roles-member');
    });
    afterAll(async () => server?.close());

    // Before an admin's answers gave real ids, requests carry a well-formed id that names nothing.
    const ids: RequestIds = { previewId: '00000000-0000-4000-8000-00000000abcd' };
    const call = (spec: AdminRequest, token?: string) => {
      const path = typeof spec.path === 'function' ? spec.path(ids) : spec.path;
      const json = typeof spec.json === 'function' ? (spec.json as (ids: RequestIds) => unknown)(ids) : spec.json;
      return rest(server.baseUrl, spec.route.split(' ')[0]!, path, { ...(token ? { token } : {}), ...(json === undefined ? {} : { json }) });
    };
    const waitForJob = async (id: string) => {
      for (let i = 0; i < 600; i++) {
        const job = await rest<{ status: string }>(server.baseUrl, 'GET', `/v1/admin/prices/reprice/${id}`, { token: admin.token });
        if (job.body.status !== 'running') return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the re-pricing preview did not finish');
    };

    it('the first sign-up administers the server; later ones are members', async () => {
      const users = await rest<{ users: Array<{ id: string; role: string; disabled: boolean }> }>(server.baseUrl, 'GET', '/v1/admin/users', { token: admin.token });
      expect(users.body.users.find((u) => u.id === admin.userId)).toMatchObject({ role: 'admin', disabled: false });
      expect(users.body.users.find((u) => u.id === member.userId)).toMatchObject({ role: 'member', disabled: false });
      // The reserved owner of Tally's own usage is no account.
      expect(users.body.users.every((u) => u.id !== '00000000-0000-4000-8000-000000000001')).toBe(true);
    });

    it('every admin route: 401 with no credential, 403 AUTH_FORBIDDEN for a member, success for an admin', async () => {
      const requests = adminRequests(member.userId, await waitForUpdate(), waitForJob);
      expect(requests.map((r) => r.route).sort()).toEqual([...ADMIN_ROUTES].sort());
      for (const spec of requests) {
        const anonymous = await call(spec);
        expect(anonymous.status, `${spec.route} anonymous`).toBe(401);
        const denied = await call(spec, member.token);
        expect(denied.status, `${spec.route} member`).toBe(403);
        expect(denied.body, `${spec.route} member`).toEqual({ error: { code: 'AUTH_FORBIDDEN', message: expect.any(String) } });
      }
      for (const spec of requests) {
        const allowed = await call(spec, admin.token);
        expect(allowed.status, `${spec.route} admin: ${JSON.stringify(allowed.body)}`).toBe(spec.status);
        await spec.keep?.(allowed.body, ids);
      }
    });

    it('a role change applies to the very next request of an existing token, and is audited', async () => {
      const promote = await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${member.userId}`, { token: admin.token, json: { role: 'admin' } });
      expect(promote.body).toMatchObject({ id: member.userId, role: 'admin', disabled: false });
      expect((await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: member.token })).status).toBe(200);
      await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${member.userId}`, { token: admin.token, json: { role: 'member' } });
      expect((await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: member.token })).status).toBe(403);

      const changes = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.action === 'user.role_changed' && e.target === `user:${member.userId}`);
      expect(changes.map((e) => e.details)).toEqual([
        { email: member.email, from: 'admin', to: 'member' },
        { email: member.email, from: 'member', to: 'admin' },
      ]);
      // The target is named as people name it: the member's email, not their id.
      expect(changes[0]).toMatchObject({ actorId: admin.userId, actorEmail: admin.email, targetLabel: member.email });
      const keyMade = await rest<{ id: string }>(server.baseUrl, 'POST', `/v1/workspaces/${member.userId}/api-keys`, { token: member.token, json: { name: 'nightly export', scopes: ['full'] } });
      await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${member.userId}/api-keys/${keyMade.body.id}`, { token: member.token });
      const keyEvents = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === `api_key:${keyMade.body.id}`);
      expect(keyEvents.length).toBeGreaterThan(0);
      expect(keyEvents.map((e) => e.targetLabel)).toEqual(keyEvents.map(() => 'key “nightly export”'));
    });

    it('the last active admin can be neither demoted nor disabled', async () => {
      for (const json of [{ role: 'member' }, { disabled: true }]) {
        const res = await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${admin.userId}`, { token: admin.token, json });
        expect(res.status, JSON.stringify(json)).toBe(409);
        expect(res.body).toMatchObject({ error: { code: 'USER_LAST_ADMIN' } });
      }
      // With a second admin, the first may step down.
      const second = await signUp(server.baseUrl, 'roles-second');
      await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${second.userId}`, { token: admin.token, json: { role: 'admin' } });
      expect((await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${admin.userId}`, { token: second.token, json: { role: 'member' } })).status).toBe(200);
      expect((await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${admin.userId}`, { token: second.token, json: { role: 'admin' } })).status).toBe(200);
    });

    it('unknown and malformed user ids are not found; an empty change is refused', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000001', '7d0c7c36-5a52-4d4e-9d5c-6a4f2a3c0b11', 'nope']) {
        const res = await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${id}`, { token: admin.token, json: { disabled: true } });
        expect(res.status, id).toBe(404);
        expect(res.body).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
      }
      const empty = await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${member.userId}`, { token: admin.token, json: {} });
      expect(empty.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    });
  });
}
