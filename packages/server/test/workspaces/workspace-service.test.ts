import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createAccounts } from '../../src/auth/accounts.js';
import { createApiKeys } from '../../src/auth/api-keys.js';
import { createOidcAccounts } from '../../src/auth/oidc-accounts.js';
import { createPasswordPolicy } from '../../src/auth/password-policy.js';
import type { Bus } from '../../src/bus/bus.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import type { Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { parseMembershipChange, WORKSPACE_MEMBERSHIP_CHANNEL, type MembershipChange } from '../../src/workspaces/membership-changes.js';
import { settleWorkspacesOfDepartingOwner } from '../../src/workspaces/departing-owner.js';
import { createPersonalWorkspace } from '../../src/workspaces/personal-workspace.js';
import { createWorkspaceInvitations, type WorkspaceInvitations } from '../../src/workspaces/workspace-invitations.js';
import { createWorkspaceService, type WorkspaceService } from '../../src/workspaces/workspace-service.js';
import { openFreshDatabase } from '../support/fresh-database.js';

/**
 * The workspace service over a real (embedded) database: membership, invitations (accepted once,
 * expired, revoked, bound to an address), leaving, removal, role changes within the role rules,
 * handing over, the last-owner and personal-workspace rules, the audit trail, and the bus message
 * for each reduction of someone's access. On both engines: on PostgreSQL the races (two uses of one
 * link, two owners stepping down) run on separate connections.
 */
const postgresUrl = inject('postgresUrl');
const engines: Array<[string, string | null]> = [['PGlite', null], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];

describe.each(engines)('workspaces on %s', (_engine, engineUrl) => {
  let fresh: Awaited<ReturnType<typeof openFreshDatabase>>;
  let db: Db;
  let bus: Bus;
  let service: WorkspaceService;
  let invitations: WorkspaceInvitations;
  let clock = new Date();
  const heard: MembershipChange[] = [];

  async function user(label: string): Promise<{ userId: string; email: string; personal: string }> {
    const userId = crypto.randomUUID();
    const email = `${label}-${userId.slice(0, 8)}@example.com`;
    await db.insertInto('users').values({ id: userId, email, password_hash: 'x', role: 'member' }).execute();
    return { userId, email, personal: await createPersonalWorkspace(db, userId) };
  }

  /** A team workspace with an owner and one member of each other role, joined by invitation. */
  async function team() {
    const owner = await user('owner');
    const ws = await service.create({ userId: owner.userId }, 'Platform team');
    const people = { owner, admin: await user('admin'), member: await user('member'), viewer: await user('viewer') };
    for (const role of ['admin', 'member', 'viewer'] as const) {
      const { token } = await invitations.create({ userId: owner.userId }, ws.id, { role, expiresInHours: 24 });
      await invitations.accept(people[role], token);
    }
    return { ws, ...people };
  }

  beforeAll(async () => {
    fresh = await openFreshDatabase(engineUrl, 'workspaces');
    db = fresh.db;
    await migrateToLatest(db);
    bus = createMemoryBus();
    await bus.subscribe(WORKSPACE_MEMBERSHIP_CHANNEL, (raw) => heard.push(parseMembershipChange(raw)!));
    const audit = createAuditLog({ db });
    service = createWorkspaceService({ db, bus, audit, apiKeys: createApiKeys({ db, bus }) });
    invitations = createWorkspaceInvitations({ db, audit, workspaces: service, now: () => clock });
  }, 180_000);
  afterAll(async () => {
    await fresh?.drop();
  });

  it('lists the personal workspace first, then teams, each with the caller\'s role and what it may do', async () => {
    const { ws, owner, viewer } = await team();
    const mine = await service.list(owner.userId);
    expect(mine.map((w) => [w.name, w.personal, w.role])).toEqual([
      ['Personal', true, 'owner'],
      ['Platform team', false, 'owner'],
    ]);
    const seen = await service.get(ws.id, viewer.userId);
    expect(seen).toMatchObject({ role: 'viewer', permissions: ['workspace.read'] });
    const outsider = await user('outsider');
    await expect(service.get(ws.id, outsider.userId)).rejects.toMatchObject({ code: 'WORKSPACE_NOT_FOUND' });
    expect((await service.members(ws.id)).map((m) => m.role)).toEqual(['owner', 'admin', 'member', 'viewer']);
  });

  it('gives every new account its personal workspace, whichever way it is made, and only once', async () => {
    const made = await createAccounts({ db, passwords: createPasswordPolicy() }).create({ email: `cli-${crypto.randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery staple', role: 'member' });
    const oidc = createOidcAccounts({ db, firstAccountIsAdmin: false });
    const email = `sso-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const { user: sso } = await oidc.userFor({ issuer: 'https://idp.test.invalid', subject: 'subject-1', email, emailVerified: true });
    // The same person again, and a second identity linked to the account: no second workspace.
    await oidc.userFor({ issuer: 'https://idp.test.invalid', subject: 'subject-1', email, emailVerified: true });
    await oidc.userFor({ issuer: 'https://other-idp.test.invalid', subject: 'subject-2', email, emailVerified: true });
    for (const userId of [made.id, sso.id]) {
      expect((await service.list(userId)).map((w) => [w.name, w.personal, w.role])).toEqual([['Personal', true, 'owner']]);
    }
  });

  it('takes an invitation once; refuses it used, revoked, expired, or for another address', async () => {
    const { ws, owner } = await team();
    const [a, b] = [await user('a'), await user('b')];
    const { token, invitation } = await invitations.create({ userId: owner.userId }, ws.id, { role: 'member', expiresInHours: 1 });
    expect(invitation.status).toBe('pending');
    // Two uses at once: one joins, the other is refused.
    const both = await Promise.allSettled([invitations.accept(a, token), invitations.accept(b, token)]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'WORKSPACE_INVITATION_INVALID' } });

    const c = await user('c');
    const revoked = await invitations.create({ userId: owner.userId }, ws.id, { role: 'viewer', expiresInHours: 1 });
    expect((await invitations.revoke({ userId: owner.userId }, ws.id, revoked.invitation.id)).status).toBe('revoked');
    await expect(invitations.accept(c, revoked.token)).rejects.toMatchObject({ code: 'WORKSPACE_INVITATION_INVALID' });

    const expiring = await invitations.create({ userId: owner.userId }, ws.id, { role: 'viewer', expiresInHours: 1 });
    clock = new Date(clock.getTime() + 3_600_001);
    try {
      await expect(invitations.accept(c, expiring.token)).rejects.toMatchObject({ code: 'WORKSPACE_INVITATION_INVALID' });
      expect((await invitations.list(ws.id)).find((i) => i.id === expiring.invitation.id)?.status).toBe('expired');
    } finally {
      clock = new Date();
    }
    await expect(invitations.accept(c, 'twi_not-a-token')).rejects.toMatchObject({ code: 'WORKSPACE_INVITATION_INVALID' });

    const addressed = await invitations.create({ userId: owner.userId }, ws.id, { role: 'viewer', email: c.email, expiresInHours: 1 });
    const d = await user('d');
    await expect(invitations.accept(d, addressed.token)).rejects.toMatchObject({ code: 'WORKSPACE_INVITATION_WRONG_EMAIL' });
    expect(await invitations.accept({ ...c, email: c.email.toUpperCase() }, addressed.token)).toMatchObject({ id: ws.id, role: 'viewer' });
    // An invitation for someone already in leaves them as they are and stays unused.
    const again = await invitations.create({ userId: owner.userId }, ws.id, { role: 'admin', expiresInHours: 1 });
    await expect(invitations.accept(c, again.token)).rejects.toMatchObject({ code: 'WORKSPACE_ALREADY_MEMBER' });
    expect(await service.roleOf(ws.id, c.userId)).toBe('viewer');
    expect((await invitations.list(ws.id)).find((i) => i.id === again.invitation.id)?.status).toBe('pending');
  });

  it('lets only owners and admins invite, admins up to admin, and no one into a personal workspace', async () => {
    const { ws, admin, member, owner } = await team();
    await expect(invitations.create({ userId: member.userId }, ws.id, { role: 'viewer', expiresInHours: 1 })).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    await expect(invitations.create({ userId: admin.userId }, ws.id, { role: 'admin', expiresInHours: 1 })).resolves.toBeDefined();
    await expect(invitations.create({ userId: owner.userId }, owner.personal, { role: 'viewer', expiresInHours: 1 })).rejects.toMatchObject({ code: 'WORKSPACE_PERSONAL' });
    const outsider = await user('outsider');
    await expect(invitations.create({ userId: outsider.userId }, ws.id, { role: 'viewer', expiresInHours: 1 })).rejects.toMatchObject({ code: 'WORKSPACE_NOT_FOUND' });
    // Another workspace's invitation id is unknown here.
    const other = await team();
    const foreign = await invitations.create({ userId: other.owner.userId }, other.ws.id, { role: 'viewer', expiresInHours: 1 });
    await expect(invitations.revoke({ userId: owner.userId }, ws.id, foreign.invitation.id)).rejects.toMatchObject({ code: 'WORKSPACE_INVITATION_NOT_FOUND' });
  });

  it('changes roles within the rules and announces each lowering on the bus', async () => {
    const { ws, owner, admin, member, viewer } = await team();
    heard.length = 0;
    // An admin acts on weaker roles only and never grants owner.
    await expect(service.changeRole({ userId: admin.userId }, ws.id, owner.userId, 'viewer')).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    await expect(service.changeRole({ userId: admin.userId }, ws.id, member.userId, 'owner')).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    await expect(service.changeRole({ userId: member.userId }, ws.id, viewer.userId, 'member')).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    // Nobody raises themselves.
    await expect(service.changeRole({ userId: viewer.userId }, ws.id, viewer.userId, 'member')).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    expect(await service.changeRole({ userId: admin.userId }, ws.id, viewer.userId, 'member')).toMatchObject({ role: 'member' });
    expect(heard).toEqual([]);
    expect(await service.changeRole({ userId: admin.userId }, ws.id, member.userId, 'viewer')).toMatchObject({ role: 'viewer' });
    expect(heard).toEqual([{ type: 'workspace_access_reduced', workspaceId: ws.id, userId: member.userId, role: 'viewer' }]);
    const outsider = await user('outsider');
    await expect(service.changeRole({ userId: owner.userId }, ws.id, outsider.userId, 'viewer')).rejects.toMatchObject({ code: 'WORKSPACE_MEMBER_NOT_FOUND' });
  });

  it('keeps an owner: the last one cannot leave or step down; removal and leaving are announced', async () => {
    const { ws, owner, admin, member, viewer } = await team();
    heard.length = 0;
    await expect(service.leave({ userId: owner.userId }, ws.id)).rejects.toMatchObject({ code: 'WORKSPACE_LAST_OWNER' });
    await expect(service.changeRole({ userId: owner.userId }, ws.id, owner.userId, 'admin')).rejects.toMatchObject({ code: 'WORKSPACE_LAST_OWNER' });
    await expect(service.remove({ userId: admin.userId }, ws.id, owner.userId)).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    await service.remove({ userId: admin.userId }, ws.id, viewer.userId);
    await service.leave({ userId: member.userId }, ws.id);
    expect(heard.map((c) => [c.userId, c.role])).toEqual([
      [viewer.userId, null],
      [member.userId, null],
    ]);
    expect(await service.roleOf(ws.id, viewer.userId)).toBeNull();
    // Two owners stepping down at once: one of them stays.
    await service.changeRole({ userId: owner.userId }, ws.id, admin.userId, 'owner');
    const both = await Promise.allSettled([service.leave({ userId: owner.userId }, ws.id), service.leave({ userId: admin.userId }, ws.id)]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await service.members(ws.id)).filter((m) => m.role === 'owner')).toHaveLength(1);
  });

  it('hands a workspace over: the member becomes owner, the previous owner admin; a personal one stays its person\'s', async () => {
    const { ws, owner, member, admin } = await team();
    heard.length = 0;
    await expect(service.transfer({ userId: admin.userId }, ws.id, member.userId)).rejects.toMatchObject({ code: 'WORKSPACE_FORBIDDEN' });
    const members = await service.transfer({ userId: owner.userId }, ws.id, member.userId);
    expect(Object.fromEntries(members.map((m) => [m.userId, m.role]))).toMatchObject({ [owner.userId]: 'admin', [member.userId]: 'owner' });
    expect(heard).toEqual([{ type: 'workspace_access_reduced', workspaceId: ws.id, userId: owner.userId, role: 'admin' }]);
    await expect(service.transfer({ userId: owner.userId }, owner.personal, member.userId)).rejects.toMatchObject({ code: 'WORKSPACE_MEMBER_NOT_FOUND' });
    await expect(service.leave({ userId: owner.userId }, owner.personal)).rejects.toMatchObject({ code: 'WORKSPACE_PERSONAL' });
  });

  it('leaves no team without an owner when the last owner\'s account is deleted: the strongest member takes it, a team of one goes', async () => {
    const { ws, owner, admin, member } = await team();
    const alone = await service.create({ userId: owner.userId }, 'Just me');
    const shared = await service.create({ userId: member.userId }, 'Co-owned');
    await invitations.accept(owner, (await invitations.create({ userId: member.userId }, shared.id, { role: 'admin', expiresInHours: 1 })).token);
    await service.changeRole({ userId: member.userId }, shared.id, owner.userId, 'owner');
    await db.transaction().execute((tx) => settleWorkspacesOfDepartingOwner(tx, owner.userId));
    await db.deleteFrom('users').where('id', '=', owner.userId).execute();
    expect(await service.roleOf(ws.id, admin.userId)).toBe('owner');
    expect(await db.selectFrom('workspaces').select('id').where('id', 'in', [alone.id, owner.personal]).execute()).toEqual([]);
    // Where another owner stays, nobody else is raised.
    expect((await service.members(shared.id)).map((m) => [m.userId, m.role])).toEqual([[member.userId, 'owner']]);
    const [event] = (await createAuditLog({ db }).list({ limit: 1, workspaceId: ws.id })).events;
    expect(event).toMatchObject({ action: 'workspace.ownership_transferred', actorId: null, target: `user:${admin.userId}`, details: { from: 'admin', to: 'owner' } });
  });

  it('writes each change to the workspace\'s audit log, and only there', async () => {
    const { ws, owner, viewer } = await team();
    await service.changeRole({ userId: owner.userId }, ws.id, viewer.userId, 'member');
    await service.remove({ userId: owner.userId }, ws.id, viewer.userId);
    const page = await createAuditLog({ db }).list({ limit: 50, workspaceId: ws.id });
    expect(page.events.map((e) => e.action).reverse()).toEqual([
      'workspace.created',
      'workspace.invitation_created',
      'workspace.invitation_accepted',
      'workspace.invitation_created',
      'workspace.invitation_accepted',
      'workspace.invitation_created',
      'workspace.invitation_accepted',
      'workspace.member_role_changed',
      'workspace.member_removed',
    ]);
    expect(page.events[1]).toMatchObject({ actorId: owner.userId, target: `user:${viewer.userId}`, details: { from: 'viewer', to: 'member' } });
    // No token or its hash is ever in the log.
    expect(JSON.stringify(page)).not.toMatch(/twi_|token/);
  });
});
