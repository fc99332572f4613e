import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, COMMAND_TYPES, type CommandType } from '@tally/protocol';
import { ROUTE_ACCESS, type RouteKey } from '../../src/http/route-access.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * The authorization matrix, generated from the route table (ROUTE_ACCESS, which every /v1 route
 * must be in for the server to start) and the list of WebSocket commands: for each, no credential
 * gets 401, another user's resource 404, a member on an admin route 403, and the owner success.
 * A route or command added later without a line here fails this test.
 */

/** The ids a request is built from: the owner's (A) resources, seen by A, B (another user) or the admin. */
interface Ids {
  threadId: string;
  runId: string;
  sessionId: string;
  memberId: string;
}

interface RouteCase {
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  contentType?: string;
  /** The statuses the owner (or, on admin routes, the admin) gets. */
  ok: number[];
  /** True when the route names a resource of its owner: another user must get 404. */
  owned?: boolean;
}

/** Workspace routes (threads, runs, usage, keys among them) have their own matrix, by role (workspace-matrix.test.ts). */
type WorkspaceRouteKey = Extract<RouteKey, `${string} /v1/workspaces${string}`>;
const isWorkspaceRoute = (key: string) => / \/v1\/workspaces(\/|$)/.test(key);

const CASES: Record<Exclude<RouteKey, 'GET /v1/ws' | WorkspaceRouteKey>, RouteCase | 'public'> = {
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

  'POST /v1/ws-tickets': { path: () => '/v1/ws-tickets', ok: [201] },
  'GET /v1/sessions': { path: () => '/v1/sessions', ok: [200] },
  'DELETE /v1/sessions': { path: () => '/v1/sessions', ok: [200] },
  'DELETE /v1/sessions/:id': { path: (i) => `/v1/sessions/${i.sessionId}`, ok: [204], owned: true },
  'POST /v1/me/password': { path: () => '/v1/me/password', body: () => ({ currentPassword: PASSWORD, newPassword: PASSWORD }), ok: [204] },
  'GET /v1/me': { path: () => '/v1/me', ok: [200] },
  'PATCH /v1/me': { path: () => '/v1/me', body: () => ({ displayName: 'Matrix Owner' }), ok: [200] },
  // A wrong password: the owner is answered (and refused) without the account going away under the other cases.
  'DELETE /v1/me': { path: () => '/v1/me', body: () => ({ password: 'not the password at all' }), ok: [403] },
  'POST /v1/otlp/v1/traces': { path: () => '/v1/otlp/v1/traces', body: () => ({ resourceSpans: [] }), ok: [200] },
  'POST /v1/otlp/v1/logs': { path: () => '/v1/otlp/v1/logs', body: () => ({ resourceLogs: [] }), ok: [200] },
  'POST /v1/otlp/v1/metrics': { path: () => '/v1/otlp/v1/metrics', body: () => ({ resourceMetrics: [] }), ok: [200] },

  'GET /v1/admin/users': { path: () => '/v1/admin/users', ok: [200] },
  'POST /v1/admin/users': { path: () => '/v1/admin/users', body: () => ({ email: `matrix-made-${Date.now()}@example.com` }), ok: [201] },
  'PATCH /v1/admin/users/:id': { path: (i) => `/v1/admin/users/${i.memberId}`, body: () => ({ role: 'member' }), ok: [200] },
  // No account with this id: the admin is answered USER_NOT_FOUND (deleting one: security/account-deletion.test.ts).
  'DELETE /v1/admin/users/:id': { path: () => '/v1/admin/users/00000000-0000-4000-8000-000000000000', ok: [404] },
  'POST /v1/admin/users/:id/reset-password': { path: (i) => `/v1/admin/users/${i.memberId}/reset-password`, body: () => ({}), ok: [200, 201] },
  'GET /v1/admin/audit': { path: () => '/v1/admin/audit', ok: [200] },
  'GET /v1/admin/feedback': { path: () => '/v1/admin/feedback?rating=up&limit=10', ok: [200] },
  'GET /v1/admin/prices': { path: () => '/v1/admin/prices', ok: [200] },
  'PUT /v1/admin/prices': { path: () => '/v1/admin/prices', body: () => ({ model: 'matrix-model', inputPerMTok: 1, outputPerMTok: 2 }), ok: [200] },
  'DELETE /v1/admin/prices': { path: () => '/v1/admin/prices?model=matrix-model', ok: [200] },
  'GET /v1/prices': { path: () => '/v1/prices?model=gpt-4o', ok: [200] },
  'PUT /v1/admin/prices/discounts': { path: () => '/v1/admin/prices/discounts', body: () => ({ provider: 'matrix', percent: 0 }), ok: [200] },
  'PUT /v1/admin/prices/catalog': {
    path: () => '/v1/admin/prices/catalog?version=matrix',
    body: () => [{ id: 'matrix', name: 'Matrix', api_pattern: '$^', models: [{ id: 'matrix-model', match: { equals: 'matrix-model' }, prices: { input_mtok: 1, output_mtok: 2 } }] }],
    ok: [200],
  },
  'DELETE /v1/admin/prices/catalog': { path: () => '/v1/admin/prices/catalog', ok: [200] },
  'POST /v1/admin/prices/reprice/preview': { path: () => '/v1/admin/prices/reprice/preview', body: () => ({}), ok: [202, 409] },
  // No preview with this id: the admin is refused with REPRICE_PREVIEW_REQUIRED, anyone else earlier.
  'POST /v1/admin/prices/reprice/apply': { path: () => '/v1/admin/prices/reprice/apply', body: () => ({ previewId: '00000000-0000-4000-8000-000000000000' }), ok: [409] },
  'GET /v1/admin/prices/reprice/:id': { path: () => '/v1/admin/prices/reprice/00000000-0000-4000-8000-000000000000', ok: [404] },
  'POST /v1/admin/llm/test': { path: () => '/v1/admin/llm/test', ok: [200] },
  'GET /v1/admin/llm': { path: () => '/v1/admin/llm', ok: [200] },
  'PUT /v1/admin/llm': { path: () => '/v1/admin/llm', body: () => ({ provider: 'offline' }), ok: [200] },
  'DELETE /v1/admin/llm': { path: () => '/v1/admin/llm', ok: [200, 204] },
};

const PASSWORD = 'correct horse battery staple';

/** Each command with: what the owner sends, and what another user sending it about A's run must get. */
const COMMAND_CASES: Record<CommandType, { data: (ids: Ids) => unknown; foreign?: string }> = {
  send_message: { data: (i) => ({ threadId: i.threadId, text: 'matrix', onBusy: 'queue' }), foreign: 'THREAD_NOT_FOUND' },
  stop_run: { data: (i) => ({ runId: i.runId }), foreign: 'RUN_NOT_FOUND' },
  subscribe: { data: (i) => ({ runId: i.runId, afterSeq: 0 }), foreign: 'RUN_NOT_FOUND' },
  unsubscribe: { data: (i) => ({ runId: i.runId }) },
  watch_thread: { data: (i) => ({ threadId: i.threadId }), foreign: 'THREAD_NOT_FOUND' },
  unwatch_thread: { data: (i) => ({ threadId: i.threadId }) },
  ping: { data: () => undefined },
};

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;

describe(`authorization matrix on ${engine.name}`, () => {
  let server: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let other: Awaited<ReturnType<typeof signUp>>;
  let ids: Ids;
  let ownerSocket: TestSocket;

  beforeAll(async () => {
    server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '1000', TALLY_MAX_ACTIVE_RUNS: '100' } });
    admin = await signUp(server.baseUrl, 'matrix-admin'); // the first account: admin
    owner = await signUp(server.baseUrl, 'matrix-owner');
    other = await signUp(server.baseUrl, 'matrix-other');
    ownerSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, owner.token), workspaceId: owner.userId });
    const ack = await ownerSocket.command('send_message', { text: 'Where is my AI money going?' });
    const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
    await ownerSocket.waitForTerminal(runId);
    ids = await freshIds(threadId, runId);
  });
  afterAll(async () => {
    ownerSocket?.close();
    await server?.close();
  });

  /** Resources some cases use up (a session revoked) are made anew for each. */
  async function freshIds(threadId: string, runId: string): Promise<Ids> {
    const login = await rest<{ accessToken: string }>(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: owner.email, password: PASSWORD } });
    const sessions = await rest<{ sessions: Array<{ id: string; current: boolean }> }>(server.baseUrl, 'GET', '/v1/sessions', { token: login.body.accessToken });
    const sessionId = sessions.body.sessions.find((s) => s.current)!.id;
    return { threadId, runId, sessionId, memberId: other.userId };
  }

  it('has a case for every route of the table and every command', () => {
    const routes = Object.keys(ROUTE_ACCESS).filter((k) => k !== 'GET /v1/ws' && !isWorkspaceRoute(k));
    expect(Object.keys(CASES).sort()).toEqual(routes.sort());
    expect(Object.keys(COMMAND_CASES).sort()).toEqual([...COMMAND_TYPES].sort());
  });

  const send = (key: string, c: RouteCase, token: string | undefined, at: Ids) => {
    const method = key.split(' ')[0]!;
    const body = c.body?.(at);
    return rest(server.baseUrl, method, c.path(at), {
      ...(token ? { token } : {}),
      ...(body === undefined ? {} : typeof body === 'string' ? { body, contentType: c.contentType } : { json: body }),
    });
  };

  for (const [key, c] of Object.entries(CASES)) {
    if (c === 'public') continue;
    const access = ROUTE_ACCESS[key as RouteKey];
    it(`${key} (${access}): none 401, ${access === 'admin' ? 'member 403' : c.owned ? 'other user 404' : 'other user only theirs'}, ${access === 'admin' ? 'admin' : 'owner'} ok`, async () => {
      expect((await send(key, c, undefined, ids)).status, 'no credential').toBe(401);
      if (access === 'admin') {
        expect((await send(key, c, owner.token, ids)).status, 'member').toBe(403);
        const answer = await send(key, c, admin.token, ids);
        expect(c.ok, `admin got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`).toContain(answer.status);
        return;
      }
      if (c.owned) {
        const foreign = await send(key, c, other.token, ids);
        expect(foreign.status, `other user: ${JSON.stringify(foreign.body)}`).toBe(404);
        expect(String((foreign.body as { error: { code: string } }).error.code)).toMatch(/_NOT_FOUND$/);
      }
      const mine = await send(key, c, owner.token, ids);
      expect(c.ok, `owner got ${mine.status} ${JSON.stringify(mine.body).slice(0, 200)}`).toContain(mine.status);
      ids = await freshIds(ids.threadId, ids.runId);
    });
  }

  /**
   * Credentials that must open nothing: a revoked key, the key of a disabled account, and no
   * credential with a forwarded address that claims to be this machine. Every guarded route
   * answers 401; neither key gets a ticket; the socket a key opened before is closed (4401).
   */
  it('a revoked key, a disabled account\'s key and a spoofed forwarded address open no route and no socket', async () => {
    const revoked = await rest<{ id: string; key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${owner.userId}/api-keys`, { token: owner.token, json: { name: 'to revoke', scopes: ['full'] } });
    const keySocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, revoked.body.key) });
    expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${owner.userId}/api-keys/${revoked.body.id}`, { token: owner.token })).status).toBe(200);
    expect((await keySocket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);

    const disabledUser = await signUp(server.baseUrl, 'matrix-disabled');
    const disabledKey = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${disabledUser.userId}/api-keys`, { token: disabledUser.token, json: { name: 'of a disabled account', scopes: ['full'] } });
    expect((await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${disabledUser.userId}`, { token: admin.token, json: { disabled: true } })).status).toBe(200);

    const refused: Array<[string, string | undefined, Record<string, string>, string]> = [
      ['revoked key', revoked.body.key, {}, 'AUTH_INVALID_API_KEY'],
      ["disabled account's key", disabledKey.body.key, {}, 'AUTH_ACCOUNT_DISABLED'],
      ['spoofed forwarded address', undefined, { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' }, 'AUTH_REQUIRED'],
    ];
    for (const [label, credential, headers, code] of refused) {
      for (const [key, c] of Object.entries(CASES)) {
        if (c === 'public') continue;
        const method = key.split(' ')[0]!;
        const body = c.body?.(ids);
        const response = await fetch(server.baseUrl + c.path(ids), {
          method,
          headers: {
            ...headers,
            ...(credential ? { authorization: `Bearer ${credential}` } : {}),
            ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? (c.contentType ?? 'application/x-ndjson') : 'application/json' }),
          },
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
        const answer = (await response.json()) as { error?: { code: string } };
        expect([response.status, answer.error?.code], `${label}: ${key}`).toEqual([401, code]);
      }
      if (credential) await expect(ticketFor(server.baseUrl, credential), label).rejects.toThrow(/ticket failed: 401/);
    }
  });

  for (const [type, c] of Object.entries(COMMAND_CASES)) {
    it(`${type}: no socket without a credential, another user gets ${c.foreign ?? 'nothing of A'}, the owner an ack`, async () => {
      await expect(openTestSocket(server.wsUrl)).rejects.toMatchObject({ statusCode: 401 });
      const intruder = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, other.token), workspaceId: other.userId });
      const answer = await intruder.command(type, c.data(ids));
      if (c.foreign) expect(answer).toMatchObject({ type: 'error', code: c.foreign });
      expect(intruder.frames.filter((f) => f['runId'] === ids.runId && f['type'] !== 'ack')).toEqual([]);
      intruder.close();
      expect(await ownerSocket.command(type, c.data(ids))).toMatchObject({ type: 'ack' });
    });
  }
});
