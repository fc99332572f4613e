import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROLES, type WorkspacePermission, type WorkspaceRole } from '@tally/protocol';
import { ROUTE_ACCESS, type RouteKey } from '../../src/http/route-access.js';
import { roleAllows } from '../../src/workspaces/workspace-roles.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The workspace authorization matrix, generated from the route table: every route under
 * /v1/workspaces x {no credential, an API key, non-member, viewer, member, admin, owner}, and for
 * routes that name a workspace, the workspace and each id within it taken from another workspace.
 * What each role gets follows the roles table (workspace-roles.ts): allowed roles succeed, the
 * others get WORKSPACE_FORBIDDEN, non-members WORKSPACE_NOT_FOUND. A workspace route added later
 * without a case here fails the first test (the other routes: authorization-matrix.test.ts).
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
  /** The kind of id besides the workspace the path names: another workspace's must be unknown. */
  subId?: { code: string; foreign: () => string; path: (ids: Ids, id: string) => string };
  /** Brings the state back before each attempt (a member removed, a role changed). */
  before?: () => Promise<void>;
  /** After an attempt by `who` that answered `status`. */
  after?: (who: Who, status: number) => Promise<void>;
}

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;

describe(`workspace authorization matrix on ${engine.name}`, () => {
  let server: TestApp;
  let people: Record<Who, Person> & { target: Person; foreignMember: Person };
  let ids: Ids;
  let foreign: { workspaceId: string; memberId: string; invitationId: string; keyId: string };
  let ownerKey: string;

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
      const { token } = await invite(people.owner, ids.workspaceId, role);
      expect((await as(person, 'POST', '/v1/workspaces/invitations/accept', { token })).status).toBe(200);
    } else if (now.role !== role) {
      expect((await as(people.owner, 'PATCH', `/v1/workspaces/${ids.workspaceId}/members/${person.userId}`, { role })).status).toBe(200);
    }
  }

  const member = { code: 'WORKSPACE_MEMBER_NOT_FOUND', foreign: () => foreign.memberId };
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
  };

  beforeAll(async () => {
    server = await startTestApp({ engine });
    await signUp(server.baseUrl, 'wm-first'); // the server's admin: no say in anyone's workspace
    const [owner, admin, memberP, viewer, outsider, target, foreignMember] = [
      await signUp(server.baseUrl, 'wm-owner'),
      await signUp(server.baseUrl, 'wm-admin'),
      await signUp(server.baseUrl, 'wm-member'),
      await signUp(server.baseUrl, 'wm-viewer'),
      await signUp(server.baseUrl, 'wm-outsider'),
      await signUp(server.baseUrl, 'wm-target'),
      await signUp(server.baseUrl, 'wm-foreign'),
    ];
    people = { owner: owner!, admin: admin!, member: memberP!, viewer: viewer!, outsider: outsider!, target: target!, foreignMember: foreignMember! };
    const created = await as(people.owner, 'POST', '/v1/workspaces', { name: 'Matrix team' });
    ids = { workspaceId: created.body['id'] as string, targetId: people.target.userId, keyId: '', invitationId: '', acceptToken: '' };
    for (const role of ['admin', 'member', 'viewer'] as const) await ensureMember(people[role], role);
    await ensureMember(people.target, 'viewer');
    ids.invitationId = (await invite(people.owner, ids.workspaceId, 'member')).id;

    // Another workspace, with a member and an invitation of its own.
    const other = await as(people.outsider, 'POST', '/v1/workspaces', { name: 'Elsewhere' });
    const otherId = other.body['id'] as string;
    const join = await invite(people.outsider, otherId, 'member');
    expect((await as(people.foreignMember, 'POST', '/v1/workspaces/invitations/accept', { token: join.token })).status).toBe(200);
    const foreignKey = await as(people.outsider, 'POST', `/v1/workspaces/${otherId}/api-keys`, { name: 'elsewhere', scopes: ['full'] });
    foreign = { workspaceId: otherId, memberId: people.foreignMember.userId, invitationId: (await invite(people.outsider, otherId, 'viewer')).id, keyId: foreignKey.body['id'] as string };
    // A key of the owner's personal workspace: no use in W, whatever the route.
    ownerKey = ((await as(people.owner, 'POST', `/v1/workspaces/${people.owner.userId}/api-keys`, { name: 'matrix', scopes: ['full'] })).body['key'] as string) ?? '';
  }, 120_000);
  afterAll(async () => {
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
    it(`${key}: none 401, ${c.access ? 'a key of another workspace 404' : 'a key 403'}, ${c.permission ? `non-member 404, allowed: ${allowed.join('/')}` : 'any signed-in person'}`, async () => {
      const send = (who: Person | undefined, at: Ids = ids, path = c.path(at)) => as(who, method, path, c.body?.(at));
      expect((await send(undefined)).status, 'no credential').toBe(401);
      const byKey = await rest<{ error: { code: string } }>(server.baseUrl, method, c.path(ids), { token: ownerKey, ...(c.body ? { json: c.body(ids) } : {}) });
      expect([byKey.status, byKey.body.error?.code], 'an API key').toEqual(c.access ? [404, 'WORKSPACE_NOT_FOUND'] : [403, 'AUTH_SCOPE_DENIED']);

      if (c.permission) {
        const outsider = await send(people.outsider);
        expect([outsider.status, (outsider.body['error'] as { code: string })?.code], 'non-member').toEqual([404, 'WORKSPACE_NOT_FOUND']);
        // The owner of this workspace, at another one's id.
        const elsewhere = await send(people.owner, { ...ids, workspaceId: foreign.workspaceId });
        expect([elsewhere.status, (elsewhere.body['error'] as { code: string })?.code], 'another workspace').toEqual([404, 'WORKSPACE_NOT_FOUND']);
        if (c.subId) {
          const crossed = await send(people.owner, ids, c.subId.path(ids, c.subId.foreign()));
          expect([crossed.status, (crossed.body['error'] as { code: string })?.code], 'an id from another workspace').toEqual([404, c.subId.code]);
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
        if (allowed.includes(role)) expect(c.ok(role), detail).toContain(answer.status);
        else expect([answer.status, (answer.body['error'] as { code: string })?.code], detail).toEqual([403, 'WORKSPACE_FORBIDDEN']);
        await c.after?.(role, answer.status);
      }
    }, 60_000);
  }

  it('lists to each person only their own workspaces', async () => {
    const names = async (who: Person) => ((await as(who, 'GET', '/v1/workspaces')).body['workspaces'] as Array<{ id: string; personal: boolean }>);
    expect((await names(people.outsider)).map((w) => w.id)).not.toContain(ids.workspaceId);
    expect((await names(people.viewer)).map((w) => w.id)).toContain(ids.workspaceId);
    // Everyone has exactly one personal workspace, from sign-up.
    for (const who of Object.values(people)) expect((await names(who)).filter((w) => w.personal)).toHaveLength(1);
  });
});
