import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROLES, type WorkspacePermission, type WorkspaceRole } from '@tally/protocol';
import { ROUTE_ACCESS, type RouteKey } from '../../src/http/route-access.js';
import { roleAllows } from '../../src/workspaces/workspace-roles.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { askSharedThread } from '../support/shared-thread.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { putTestConnector } from '../support/connector-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * The workspace authorization matrix, generated from the route table: every route under
 * /v1/workspaces x {no credential, an API key of another workspace, one of this workspace,
 * non-member, viewer, member, admin, owner}, and for routes that name a workspace, the workspace
 * and each id within it (member, invitation, key, thread, run) taken from another workspace.
 * What each role gets follows the roles table (workspace-roles.ts): allowed roles succeed, the
 * others get WORKSPACE_FORBIDDEN, non-members WORKSPACE_NOT_FOUND. Threads and runs are the
 * owner's, shared: other members read them and get THREAD_READ_ONLY for a change. A key acts as
 * its maker (the owner) in its own workspace only. A workspace route added later without a case
 * here fails the first test (the other routes: authorization-matrix.test.ts; WebSocket commands
 * by role: workspace-command-matrix.test.ts).
 */

type WorkspaceRouteKey = Extract<RouteKey, `${string} /v1/workspaces${string}`>;
type Person = Awaited<ReturnType<typeof signUp>>;
type Who = WorkspaceRole | 'outsider';

interface Ids {
  workspaceId: string;
  targetId: string;
  keyId: string;
  invitationId: string;
  acceptToken: string;
  /** The owner's thread in W, shared, with its finished run. */
  threadId: string;
  runId: string;
  /** Another shared thread of the owner's for the case that deletes one ('' once deleted). */
  spareThreadId: string;
}

interface Case {
  path: (ids: Ids) => string;
  /** The credential the route takes (ROUTE_ACCESS's `access`); absent: `signed-in`, a person only. */
  access?: 'usage:write' | 'full';
  body?: (ids: Ids) => unknown;
  /** What the route needs in the workspace its path names; null for a route that names none. */
  permission: WorkspacePermission | null;
  /** The statuses of someone allowed (or, where permission is null, of `who`). */
  ok: (who: Who) => number[];
  /** Only the thread's author (W's owner) may: the other allowed roles get THREAD_READ_ONLY. */
  authorOnly?: boolean;
  /** The kind of id besides the workspace the path names: another workspace's must be unknown. */
  subId?: {
    code: string;
    foreign: () => string;
    path: (ids: Ids, id: string) => string;
    /** An id of W that is not the caller's to see (a member's unshared thread or its run): unknown too. */
    unshared?: () => string;
  };
  /** Brings the state back before each attempt (a member removed, a role changed). */
  before?: () => Promise<void>;
  /** After an attempt by `who` that answered `status`. */
  after?: (who: Who, status: number) => Promise<void>;
}

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;

describe(`workspace authorization matrix on ${engine.name}`, () => {
  let server: TestApp;
  let people: Record<Who, Person> & { target: Person; foreignMember: Person; serverAdmin: Person };
  let ids: Ids;
  let foreign: { workspaceId: string; memberId: string; invitationId: string; keyId: string; threadId: string; runId: string };
  let ownerKey: string;
  /** A key the owner made in W: it acts as the owner there, on the routes that take keys. */
  let workspaceKey: string;
  let ownerSocket: TestSocket;
  /** The member's own thread in W and its run, not shared: nobody else's to see, W's owner included. */
  let unshared: { threadId: string; runId: string };

  const as = (person: Person | undefined, method: string, path: string, json?: unknown) =>
    rest<Record<string, unknown>>(server.baseUrl, method, path, { ...(person ? { token: person.token } : {}), ...(json === undefined ? {} : { json }) });

  async function invite(inviter: Person, workspaceId: string, role: WorkspaceRole): Promise<{ id: string; token: string }> {
    const created = await as(inviter, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { role });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: (created.body['invitation'] as { id: string }).id, token: created.body['token'] as string };
  }

  /** Makes `person` a member of W with `role`, whatever they are now. */
  async function ensureMember(person: Person, role: Exclude<WorkspaceRole, 'owner'>): Promise<void> {
    const members = (await as(people.owner, 'GET', `/v1/workspaces/${ids.workspaceId}/members`)).body['members'] as Array<{ userId: string; role: string }>;
    const now = members.find((m) => m.userId === person.userId);
    if (!now) {
      await joinWorkspace(server.baseUrl, people.owner, ids.workspaceId, person, role);
    } else if (now.role !== role) {
      expect((await as(people.owner, 'PATCH', `/v1/workspaces/${ids.workspaceId}/members/${person.userId}`, { role })).status).toBe(200);
    }
  }

  const member = { code: 'WORKSPACE_MEMBER_NOT_FOUND', foreign: () => foreign.memberId };
  const thread = (suffix = '') => ({
    code: 'THREAD_NOT_FOUND',
    foreign: () => foreign.threadId,
    unshared: () => unshared.threadId,
    path: (i: Ids, id: string) => `/v1/workspaces/${i.workspaceId}/threads/${id}${suffix}`,
  });
  const run = (suffix = '') => ({
    code: 'RUN_NOT_FOUND',
    foreign: () => foreign.runId,
    unshared: () => unshared.runId,
    path: (i: Ids, id: string) => `/v1/workspaces/${i.workspaceId}/runs/${id}${suffix}`,
  });
  const CASES: Record<WorkspaceRouteKey, Case> = {
    'GET /v1/workspaces': { path: () => '/v1/workspaces', permission: null, ok: () => [200] },
    'POST /v1/workspaces': { path: () => '/v1/workspaces', body: () => ({ name: 'Made by the matrix' }), permission: null, ok: () => [201] },
    'POST /v1/workspaces/invitations/accept': {
      path: () => '/v1/workspaces/invitations/accept',
      body: (i) => ({ token: i.acceptToken }),
      permission: null,
      // Members are members already; someone else joins (and is removed again after).
      ok: (who) => (who === 'outsider' ? [200] : [409]),
      before: async () => {
        ids.acceptToken = (await invite(people.owner, ids.workspaceId, 'viewer')).token;
      },
      after: async (who, status) => {
        if (who === 'outsider' && status === 200) expect((await as(people.owner, 'DELETE', `/v1/workspaces/${ids.workspaceId}/members/${people.outsider.userId}`)).status).toBe(204);
      },
    },
    'GET /v1/workspaces/:workspaceId': { path: (i) => `/v1/workspaces/${i.workspaceId}`, permission: 'workspace.read', ok: () => [200] },
    'GET /v1/workspaces/:workspaceId/members': { path: (i) => `/v1/workspaces/${i.workspaceId}/members`, permission: 'workspace.read', ok: () => [200] },
    'PATCH /v1/workspaces/:workspaceId/members/:userId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/members/${i.targetId}`,
      body: () => ({ role: 'member' }),
      permission: 'members.manage',
      ok: () => [200],
      subId: { ...member, path: (i, id) => `/v1/workspaces/${i.workspaceId}/members/${id}` },
      before: () => ensureMember(people.target, 'viewer'),
    },
    'DELETE /v1/workspaces/:workspaceId/members/:userId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/members/${i.targetId}`,
      permission: 'members.manage',
      ok: () => [204],
      subId: { ...member, path: (i, id) => `/v1/workspaces/${i.workspaceId}/members/${id}` },
      before: () => ensureMember(people.target, 'viewer'),
    },
    'POST /v1/workspaces/:workspaceId/leave': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/leave`,
      permission: 'workspace.read',
      // The one owner cannot leave (WORKSPACE_LAST_OWNER); anyone else can, and is brought back.
      ok: (who) => (who === 'owner' ? [409] : [204]),
      after: async (who, status) => {
        if (status === 204 && who !== 'owner' && who !== 'outsider') await ensureMember(people[who], who);
      },
    },
    'POST /v1/workspaces/:workspaceId/transfer': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/transfer`,
      body: (i) => ({ userId: i.targetId }),
      permission: 'ownership.manage',
      ok: () => [200],
      before: () => ensureMember(people.target, 'viewer'),
      // Handed back, and the target made a viewer again.
      after: async (who, status) => {
        if (who !== 'owner' || status !== 200) return;
        expect((await as(people.target, 'POST', `/v1/workspaces/${ids.workspaceId}/transfer`, { userId: people.owner.userId })).status).toBe(200);
        await ensureMember(people.target, 'viewer');
      },
    },
    'GET /v1/workspaces/:workspaceId/invitations': { path: (i) => `/v1/workspaces/${i.workspaceId}/invitations`, permission: 'members.manage', ok: () => [200] },
    'POST /v1/workspaces/:workspaceId/invitations': { path: (i) => `/v1/workspaces/${i.workspaceId}/invitations`, body: () => ({ role: 'viewer' }), permission: 'members.manage', ok: () => [201] },
    'DELETE /v1/workspaces/:workspaceId/invitations/:invitationId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/invitations/${i.invitationId}`,
      permission: 'members.manage',
      ok: () => [200],
      subId: { code: 'WORKSPACE_INVITATION_NOT_FOUND', foreign: () => foreign.invitationId, path: (i, id) => `/v1/workspaces/${i.workspaceId}/invitations/${id}` },
    },
    'GET /v1/workspaces/:workspaceId/audit': { path: (i) => `/v1/workspaces/${i.workspaceId}/audit?limit=5`, permission: 'audit.read', ok: () => [200] },
    'POST /v1/workspaces/:workspaceId/usage': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/usage`,
      body: () => ({ ts: '2026-10-01T00:00:00Z', model: 'gpt-4o', project: 'matrix', inputTokens: 10, outputTokens: 5 }),
      access: 'usage:write',
      permission: 'usage.upload',
      ok: () => [200],
    },
    'GET /v1/workspaces/:workspaceId/usage/overview': { path: (i) => `/v1/workspaces/${i.workspaceId}/usage/overview`, access: 'full', permission: 'workspace.read', ok: () => [200] },
    'GET /v1/workspaces/:workspaceId/usage/dashboard': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/usage/dashboard?from=2026-10-01T00:00:00Z&model=gpt-4o`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
    },
    'GET /v1/workspaces/:workspaceId/usage/requests': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/usage/requests?model=gpt-4o&status=ok&limit=10`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
    },
    'GET /v1/workspaces/:workspaceId/usage/call-stats': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/usage/call-stats?from=2026-10-01T00:00:00Z`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
    },
    'GET /v1/workspaces/:workspaceId/reconciliation': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/reconciliation?from=2026-10-01T00:00:00Z`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
    },
    'GET /v1/workspaces/:workspaceId/usage-sources': { path: (i) => `/v1/workspaces/${i.workspaceId}/usage-sources`, access: 'full', permission: 'workspace.read', ok: () => [200] },
    'PUT /v1/workspaces/:workspaceId/usage-sources': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/usage-sources`,
      body: () => ({ provider: 'openai', setting: 'billing' }),
      permission: 'settings.manage',
      ok: () => [200],
    },
    'POST /v1/workspaces/:workspaceId/api-keys': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/api-keys`,
      body: () => ({ name: 'matrix', scopes: ['usage:write'] }),
      permission: 'settings.manage',
      ok: () => [201],
    },
    'GET /v1/workspaces/:workspaceId/api-keys': { path: (i) => `/v1/workspaces/${i.workspaceId}/api-keys`, permission: 'settings.manage', ok: () => [200] },
    'DELETE /v1/workspaces/:workspaceId/api-keys/:keyId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/api-keys/${i.keyId}`,
      permission: 'settings.manage',
      ok: () => [200],
      subId: { code: 'API_KEY_NOT_FOUND', foreign: () => foreign.keyId, path: (i, id) => `/v1/workspaces/${i.workspaceId}/api-keys/${id}` },
      // A key of W to revoke, made anew for each attempt.
      before: async () => {
        ids.keyId = (await as(people.owner, 'POST', `/v1/workspaces/${ids.workspaceId}/api-keys`, { name: 'to revoke', scopes: ['full'] })).body['id'] as string;
      },
    },
    'GET /v1/workspaces/:workspaceId/connectors': { path: (i) => `/v1/workspaces/${i.workspaceId}/connectors`, permission: 'workspace.read', ok: () => [200] },
    'GET /v1/workspaces/:workspaceId/connectors/:provider': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/connectors/openai`,
      permission: 'workspace.read',
      ok: () => [200],
      before: () => putTestConnector(server.baseUrl, people.owner, ids.workspaceId),
    },
    'PUT /v1/workspaces/:workspaceId/connectors/:provider': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/connectors/openai`,
      body: () => ({ adminKey: 'sk-admin-matrix-1234', backfillDays: 7 }),
      permission: 'settings.manage',
      ok: () => [200, 201],
    },
    'DELETE /v1/workspaces/:workspaceId/connectors/:provider': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/connectors/openai`,
      permission: 'settings.manage',
      ok: () => [204],
      before: () => putTestConnector(server.baseUrl, people.owner, ids.workspaceId),
    },
    'POST /v1/workspaces/:workspaceId/connectors/:provider/sync': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/connectors/openai/sync`,
      permission: 'settings.manage',
      ok: () => [202],
      before: () => putTestConnector(server.baseUrl, people.owner, ids.workspaceId),
    },
    'POST /v1/workspaces/:workspaceId/connectors/:provider/backfill': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/connectors/openai/backfill`,
      body: () => ({ days: 3 }),
      permission: 'settings.manage',
      ok: () => [202],
      before: () => putTestConnector(server.baseUrl, people.owner, ids.workspaceId),
    },
    'GET /v1/workspaces/:workspaceId/threads': { path: (i) => `/v1/workspaces/${i.workspaceId}/threads?q=money`, access: 'full', permission: 'workspace.read', ok: () => [200] },
    'GET /v1/workspaces/:workspaceId/threads/:threadId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.threadId}`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      subId: thread(),
    },
    'PATCH /v1/workspaces/:workspaceId/threads/:threadId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.threadId}`,
      body: () => ({ title: 'Renamed by the matrix' }),
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      authorOnly: true,
      subId: thread(),
    },
    'DELETE /v1/workspaces/:workspaceId/threads/:threadId': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.spareThreadId}`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [204],
      authorOnly: true,
      subId: thread(),
      // A shared thread to delete, asked anew once the last one went.
      before: async () => {
        if (!ids.spareThreadId) ids.spareThreadId = (await askSharedThread(server.baseUrl, ownerSocket, people.owner, ids.workspaceId)).threadId;
      },
      after: async (_who, status) => {
        if (status === 204) ids.spareThreadId = '';
      },
    },
    'GET /v1/workspaces/:workspaceId/threads/:threadId/messages': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.threadId}/messages`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      subId: thread('/messages'),
    },
    'GET /v1/workspaces/:workspaceId/threads/:threadId/feedback': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.threadId}/feedback`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      subId: thread('/feedback'),
    },
    'PUT /v1/workspaces/:workspaceId/threads/:threadId/sharing': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/threads/${i.threadId}/sharing`,
      body: () => ({ shared: true }),
      access: 'full',
      permission: 'agents.ask',
      ok: () => [200],
      authorOnly: true,
      subId: thread('/sharing'),
    },
    'GET /v1/workspaces/:workspaceId/runs/:runId': { path: (i) => `/v1/workspaces/${i.workspaceId}/runs/${i.runId}`, access: 'full', permission: 'workspace.read', ok: () => [200], subId: run() },
    'GET /v1/workspaces/:workspaceId/runs/:runId/events': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/runs/${i.runId}/events?afterSeq=0`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      subId: run('/events?afterSeq=0'),
    },
    'POST /v1/workspaces/:workspaceId/runs/:runId/stop': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/runs/${i.runId}/stop`,
      body: () => ({}),
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      authorOnly: true,
      subId: run('/stop'),
    },
    'PUT /v1/workspaces/:workspaceId/runs/:runId/feedback': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/runs/${i.runId}/feedback`,
      body: () => ({ rating: 'up', note: 'matrix' }),
      access: 'full',
      permission: 'workspace.read',
      ok: () => [200],
      authorOnly: true,
      subId: run('/feedback'),
    },
    'DELETE /v1/workspaces/:workspaceId/runs/:runId/feedback': {
      path: (i) => `/v1/workspaces/${i.workspaceId}/runs/${i.runId}/feedback`,
      access: 'full',
      permission: 'workspace.read',
      ok: () => [204],
      authorOnly: true,
      subId: run('/feedback'),
    },
  };

  beforeAll(async () => {
    server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '1000', TALLY_MAX_ACTIVE_RUNS: '100' } });
    const serverAdmin = await signUp(server.baseUrl, 'wm-first'); // the server's admin: no say in anyone's workspace
    const [owner, admin, memberP, viewer, outsider, target, foreignMember] = [
      await signUp(server.baseUrl, 'wm-owner'),
      await signUp(server.baseUrl, 'wm-admin'),
      await signUp(server.baseUrl, 'wm-member'),
      await signUp(server.baseUrl, 'wm-viewer'),
      await signUp(server.baseUrl, 'wm-outsider'),
      await signUp(server.baseUrl, 'wm-target'),
      await signUp(server.baseUrl, 'wm-foreign'),
    ];
    people = { owner: owner!, admin: admin!, member: memberP!, viewer: viewer!, outsider: outsider!, target: target!, foreignMember: foreignMember!, serverAdmin };
    ids = { workspaceId: await createTeamWorkspace(server.baseUrl, people.owner, 'Matrix team'), targetId: people.target.userId, keyId: '', invitationId: '', acceptToken: '', threadId: '', runId: '', spareThreadId: '' };
    for (const role of ['admin', 'member', 'viewer'] as const) await ensureMember(people[role], role);
    await ensureMember(people.target, 'viewer');
    ids.invitationId = (await invite(people.owner, ids.workspaceId, 'member')).id;
    ownerSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, people.owner.token) });
    const memberSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, people.member.token), workspaceId: ids.workspaceId });
    const asked = await memberSocket.command('send_message', { text: 'Only mine' });
    unshared = asked['data'] as { threadId: string; runId: string };
    await memberSocket.waitForTerminal(unshared.runId);
    memberSocket.close();
    Object.assign(ids, await askSharedThread(server.baseUrl, ownerSocket, people.owner, ids.workspaceId));
    workspaceKey = ((await as(people.owner, 'POST', `/v1/workspaces/${ids.workspaceId}/api-keys`, { name: 'matrix in W', scopes: ['full', 'usage:write'] })).body['key'] as string) ?? '';

    // Another workspace, with a member and an invitation of its own.
    const otherId = await createTeamWorkspace(server.baseUrl, people.outsider, 'Elsewhere');
    await joinWorkspace(server.baseUrl, people.outsider, otherId, people.foreignMember, 'member');
    const foreignKey = await as(people.outsider, 'POST', `/v1/workspaces/${otherId}/api-keys`, { name: 'elsewhere', scopes: ['full'] });
    // And a thread with its run there, asked by its owner.
    const outsiderSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, people.outsider.token) });
    const foreignThread = await askSharedThread(server.baseUrl, outsiderSocket, people.outsider, otherId);
    outsiderSocket.close();
    foreign = { workspaceId: otherId, memberId: people.foreignMember.userId, invitationId: (await invite(people.outsider, otherId, 'viewer')).id, keyId: foreignKey.body['id'] as string, ...foreignThread };
    // A key of the owner's personal workspace: no use in W, whatever the route.
    ownerKey = ((await as(people.owner, 'POST', `/v1/workspaces/${people.owner.userId}/api-keys`, { name: 'matrix', scopes: ['full'] })).body['key'] as string) ?? '';
  }, 120_000);
  afterAll(async () => {
    ownerSocket?.close();
    await server?.close();
  });

  it('has a case for every workspace route of the table', () => {
    const routes = Object.keys(ROUTE_ACCESS).filter((k) => / \/v1\/workspaces(\/|$)/.test(k));
    expect(Object.keys(CASES).sort()).toEqual(routes.sort());
    for (const key of routes) {
      const rule = ROUTE_ACCESS[key as RouteKey];
      // Only a person manages membership; the credential and permission each case expects are the ones the table enforces.
      expect(typeof rule === 'object' ? rule.access : rule, key).toBe(CASES[key as WorkspaceRouteKey].access ?? 'signed-in');
      expect(typeof rule === 'object' ? rule.workspace : null, key).toBe(CASES[key as WorkspaceRouteKey].permission);
    }
  });

  for (const [key, c] of Object.entries(CASES) as Array<[WorkspaceRouteKey, Case]>) {
    const method = key.split(' ')[0]!;
    const allowed = c.permission ? WORKSPACE_ROLES.filter((r) => roleAllows(r, c.permission!)) : WORKSPACE_ROLES;
    it(`${key}: none 401, ${c.access ? 'a key of another workspace 404, one of W as its maker' : 'a key 403'}, ${c.permission ? `non-member 404, allowed: ${allowed.join('/')}${c.authorOnly ? ' (author only)' : ''}` : 'any signed-in person'}`, async () => {
      const send = (who: Person | undefined, at: Ids = ids, path = c.path(at)) => as(who, method, path, c.body?.(at));
      const sendWithKey = (key: string) => rest<{ error: { code: string } }>(server.baseUrl, method, c.path(ids), { token: key, ...(c.body ? { json: c.body(ids) } : {}) });
      await c.before?.();
      expect((await send(undefined)).status, 'no credential').toBe(401);
      const byKey = await sendWithKey(ownerKey);
      expect([byKey.status, byKey.body.error?.code], 'an API key').toEqual(c.access ? [404, 'WORKSPACE_NOT_FOUND'] : [403, 'AUTH_SCOPE_DENIED']);
      const byOwnKey = await sendWithKey(workspaceKey);
      if (c.access) {
        expect(c.ok('owner'), `a key of W got ${byOwnKey.status} ${JSON.stringify(byOwnKey.body).slice(0, 200)}`).toContain(byOwnKey.status);
        await c.after?.('owner', byOwnKey.status);
      } else {
        expect([byOwnKey.status, byOwnKey.body.error?.code], 'a key of W').toEqual([403, 'AUTH_SCOPE_DENIED']);
      }
      await c.before?.();

      if (c.permission) {
        const outsider = await send(people.outsider);
        expect([outsider.status, (outsider.body['error'] as { code: string })?.code], 'non-member').toEqual([404, 'WORKSPACE_NOT_FOUND']);
        // The owner of this workspace, at another one's id.
        const elsewhere = await send(people.owner, { ...ids, workspaceId: foreign.workspaceId });
        expect([elsewhere.status, (elsewhere.body['error'] as { code: string })?.code], 'another workspace').toEqual([404, 'WORKSPACE_NOT_FOUND']);
        if (c.subId) {
          const crossed = await send(people.owner, ids, c.subId.path(ids, c.subId.foreign()));
          expect([crossed.status, (crossed.body['error'] as { code: string })?.code], 'an id from another workspace').toEqual([404, c.subId.code]);
          if (c.subId.unshared) {
            const unseen = await send(people.owner, ids, c.subId.path(ids, c.subId.unshared()));
            expect([unseen.status, (unseen.body['error'] as { code: string })?.code], "a member's unshared thread or run").toEqual([404, c.subId.code]);
          }
        }
      } else {
        await c.before?.();
        const answer = await send(people.outsider);
        expect(c.ok('outsider'), `outsider got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`).toContain(answer.status);
        await c.after?.('outsider', answer.status);
      }

      // Weakest first: the refused ones change nothing the allowed ones need.
      for (const role of [...WORKSPACE_ROLES].reverse()) {
        await c.before?.();
        const answer = await send(people[role]);
        const detail = `${role} got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
        const code = (answer.body['error'] as { code: string } | undefined)?.code;
        if (!allowed.includes(role)) expect([answer.status, code], detail).toEqual([403, 'WORKSPACE_FORBIDDEN']);
        else if (c.authorOnly && role !== 'owner') expect([answer.status, code], detail).toEqual([403, 'THREAD_READ_ONLY']);
        else expect(c.ok(role), detail).toContain(answer.status);
        await c.after?.(role, answer.status);
      }
    }, 60_000);
  }

  /** A key of W that was revoked, and one of W's member whose account was disabled: 401 on every workspace route, before any membership check. */
  it('a revoked key of W and a disabled member\'s key of W open no workspace route', async () => {
    const revoked = await as(people.owner, 'POST', `/v1/workspaces/${ids.workspaceId}/api-keys`, { name: 'to revoke', scopes: ['full', 'usage:write'] });
    expect((await as(people.owner, 'DELETE', `/v1/workspaces/${ids.workspaceId}/api-keys/${revoked.body['id'] as string}`)).status).toBe(200);
    // A member of W made admin for long enough to make a key there, then disabled by the server's admin.
    const admin = await signUp(server.baseUrl, 'wm-disabled');
    const { token } = await invite(people.owner, ids.workspaceId, 'admin');
    expect((await as(admin, 'POST', '/v1/workspaces/invitations/accept', { token })).status).toBe(200);
    const disabledKey = (await as(admin, 'POST', `/v1/workspaces/${ids.workspaceId}/api-keys`, { name: 'of a disabled account', scopes: ['full', 'usage:write'] })).body['key'] as string;
    expect((await as(people.serverAdmin, 'PATCH', `/v1/admin/users/${admin.userId}`, { disabled: true })).status).toBe(200);

    for (const [label, key, code] of [
      ['revoked key', revoked.body['key'] as string, 'AUTH_INVALID_API_KEY'],
      ["disabled account's key", disabledKey, 'AUTH_ACCOUNT_DISABLED'],
    ] as const) {
      for (const [route, c] of Object.entries(CASES) as Array<[WorkspaceRouteKey, Case]>) {
        const answer = await rest<{ error?: { code: string } }>(server.baseUrl, route.split(' ')[0]!, c.path(ids), { token: key, ...(c.body ? { json: c.body(ids) } : {}) });
        expect([answer.status, answer.body.error?.code], `${label}: ${route}`).toEqual([401, code]);
      }
    }
  });

  it('lists to each person only their own workspaces', async () => {
    const names = async (who: Person) => ((await as(who, 'GET', '/v1/workspaces')).body['workspaces'] as Array<{ id: string; personal: boolean }>);
    expect((await names(people.outsider)).map((w) => w.id)).not.toContain(ids.workspaceId);
    expect((await names(people.viewer)).map((w) => w.id)).toContain(ids.workspaceId);
    // Everyone has exactly one personal workspace, from sign-up.
    for (const who of Object.values(people)) expect((await names(who)).filter((w) => w.personal)).toHaveLength(1);
  });
});
