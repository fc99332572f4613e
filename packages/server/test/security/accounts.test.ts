import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket } from '../support/ws-test-client.js';
import { PASSWORD, auditEvents, login, waitForAudit } from './security-fixtures.js';

const NEW_PASSWORD = 'a fresh unguessable passphrase 42';
const REVOKED = ['AUTH_ACCOUNT_DISABLED', 'AUTH_SESSION_REVOKED'];

async function upgradeStatus(open: Promise<unknown>): Promise<number | 'open'> {
  try {
    const socket = (await open) as { close(): void };
    socket.close();
    return 'open';
  } catch (error) {
    return (error as { statusCode?: number }).statusCode ?? -1;
  }
}

/** Admins disable accounts and reset passwords; both take effect at once, and both are audited. */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`disabled accounts and password resets on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      admin = await signUp(server.baseUrl, 'accounts-admin');
    });
    afterAll(async () => server?.close());

    const patch = (userId: string, json: unknown) => rest(server.baseUrl, 'PATCH', `/v1/admin/users/${userId}`, { token: admin.token, json });

    it('a disabled user is refused everywhere at once: tokens, keys, tickets, sockets, log-in, refresh', async () => {
      const victim = await signUp(server.baseUrl, 'accounts-disabled');
      const key = (await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${victim.userId}/api-keys`, { token: victim.token, json: { name: 'k', scopes: ['full'] } })).body.key;
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, victim.token), workspaceId: victim.userId });
      const unusedTicket = await ticketFor(server.baseUrl, victim.token);

      const disabled = await patch(victim.userId, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ id: victim.userId, disabled: true, role: 'member' });

      // The open socket is closed; no new one opens.
      const closed = await Promise.race([socket.closed, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      expect(closed, 'socket still open 5 s after the disable').not.toBeNull();
      expect(await upgradeStatus(openTestSocket(server.wsUrl, { ticket: unusedTicket }))).toBe(401);
      expect(await upgradeStatus(openTestSocket(server.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + victim.token] }))).toBe(401);

      const withToken = await rest(server.baseUrl, 'GET', `/v1/workspaces/${victim.userId}/threads`, { token: victim.token });
      expect(withToken.status).toBe(401);
      expect(REVOKED).toContain((withToken.body as { error: { code: string } }).error.code);
      const withKey = await rest(server.baseUrl, 'GET', `/v1/workspaces/${victim.userId}/threads`, { token: key });
      expect(withKey.status).toBe(401);
      expect(withKey.body).toMatchObject({ error: { code: 'AUTH_ACCOUNT_DISABLED' } });

      const refused = await login(server.baseUrl, victim.email);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: { code: 'AUTH_ACCOUNT_DISABLED' } });
      // A wrong password still says only that: being disabled is told to the right password only.
      expect((await login(server.baseUrl, victim.email, 'not the password at all')).body).toMatchObject({ error: { code: 'AUTH_INVALID_CREDENTIALS' } });
      expect((await rest(server.baseUrl, 'POST', '/v1/auth/refresh', { json: { refreshToken: victim.refreshToken } })).status).toBe(401);

      // Enabled again: a fresh log-in works, and so does the key.
      expect((await patch(victim.userId, { disabled: false })).body).toMatchObject({ disabled: false });
      const back = await login(server.baseUrl, victim.email);
      expect(back.status).toBe(200);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${victim.userId}/threads`, { token: back.body.accessToken })).status).toBe(200);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${victim.userId}/threads`, { token: key })).status).toBe(200);

      const events = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === `user:${victim.userId}`);
      expect(events.filter((e) => e.action === 'user.disabled' || e.action === 'user.enabled').map((e) => [e.action, e.actorId])).toEqual([
        ['user.enabled', admin.userId],
        ['user.disabled', admin.userId],
      ]);
      await waitForAudit(server.baseUrl, admin.token, (e) => e.action === 'auth.login_failed' && e.target === `user:${victim.userId}` && e.details['reason'] === 'account disabled');
    });

    it('the disabled flag is read on every request, whatever the token says', async () => {
      const user = await signUp(server.baseUrl, 'accounts-flag');
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).status).toBe(200);
      // Straight in the database, with no session revoked: only the per-request check can refuse.
      await server.app.services.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.userId).execute();
      const res = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'AUTH_ACCOUNT_DISABLED' } });
      expect(await upgradeStatus(openTestSocket(server.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + user.token] }))).toBe(401);
    });

    it('a password reset: a one-time token for the user, who sets a new password; every session ends', async () => {
      const user = await signUp(server.baseUrl, 'accounts-reset');
      const first = await rest<{ resetToken: string }>(server.baseUrl, 'POST', `/v1/admin/users/${user.userId}/reset-password`, { token: admin.token, json: {} });
      expect(first.status).toBe(201);
      const issued = await rest<{ resetToken: string; expiresAt: string }>(server.baseUrl, 'POST', `/v1/admin/users/${user.userId}/reset-password`, { token: admin.token, json: {} });
      expect(issued.body).toEqual({ resetToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) });
      expect(new Date(issued.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
      // Until it is used, nothing changes for the user.
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).status).toBe(200);

      const reset = (token: string, password: string) => rest(server.baseUrl, 'POST', '/v1/auth/reset-password', { json: { token, password } });
      // The newer token replaced the first.
      expect((await reset(first.body.resetToken, NEW_PASSWORD)).body).toMatchObject({ error: { code: 'AUTH_INVALID_RESET_TOKEN' } });
      // A weak password is refused without spending the token.
      expect((await reset(issued.body.resetToken, 'short')).body).toMatchObject({ error: { code: 'AUTH_WEAK_PASSWORD' } });
      const done = await reset(issued.body.resetToken, NEW_PASSWORD);
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ passwordChanged: true });

      expect((await reset(issued.body.resetToken, NEW_PASSWORD + '!')).body).toMatchObject({ error: { code: 'AUTH_INVALID_RESET_TOKEN' } });
      expect((await login(server.baseUrl, user.email)).status).toBe(401);
      expect((await login(server.baseUrl, user.email, NEW_PASSWORD)).status).toBe(200);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).status).toBe(401);

      const stored = await server.app.services.db.selectFrom('password_resets').select('token_hash').where('user_id', '=', user.userId).execute();
      expect(stored.map((r) => r.token_hash)).toContain(crypto.createHash('sha256').update(issued.body.resetToken).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(issued.body.resetToken);

      const events = (await auditEvents(server.baseUrl, admin.token)).filter((e) => e.target === `user:${user.userId}`);
      expect(events.filter((e) => e.action === 'user.password_reset')).toEqual([expect.objectContaining({ actorId: user.userId })]);
      expect(events.filter((e) => e.action === 'user.password_reset_issued').map((e) => e.actorId)).toEqual([admin.userId, admin.userId]);
      expect(JSON.stringify(events)).not.toContain(issued.body.resetToken);
      expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
    });

    it('log-ins are audited, success and failure, with the address', async () => {
      const user = await signUp(server.baseUrl, 'accounts-login');
      await login(server.baseUrl, user.email, 'definitely the wrong one');
      await login(server.baseUrl, user.email);
      const failed = await waitForAudit(server.baseUrl, admin.token, (e) => e.action === 'auth.login_failed' && e.target === `user:${user.userId}`);
      expect(failed).toMatchObject({ actorId: null, ip: expect.any(String), details: { email: user.email } });
      const ok = await waitForAudit(server.baseUrl, admin.token, (e) => e.action === 'auth.login' && e.target === `user:${user.userId}`);
      expect(ok).toMatchObject({ actorId: user.userId, actorEmail: user.email });
      expect(JSON.stringify(await auditEvents(server.baseUrl, admin.token))).not.toContain(PASSWORD);
    });
  });
}

const root = path.resolve(import.meta.dirname, '../../../..');

describe('tally user create', () => {
  let dir: string;
  let server: TestApp | undefined;
  const tally = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, TALLY_DATA_DIR: dir, TALLY_DATABASE_URL: '', TALLY_DATABASE_SCHEMA: '', FORCE_COLOR: '0' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-user-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates an admin in the configured database, who then logs in and administers', { timeout: 60_000 }, async () => {
    const created = await tally(['user', 'create', '--email', 'Boss@Example.com', '--password', PASSWORD, '--admin']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created admin boss@example\.com \([0-9a-f-]{36}\)\.$/m);
    const again = await tally(['user', 'create', '--email', 'boss@example.com', '--password', PASSWORD]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const weak = await tally(['user', 'create', '--email', 'weak@example.com', '--password', 'short']);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least');
    expect((await tally(['user', 'create', '--email', 'x@example.com'])).stderr).toContain('needs a password: set TALLY_PASSWORD');

    server = await startTestApp({ engine: engineSetups()[0]!, env: { TALLY_DATA_DIR: dir } });
    const session = await login(server.baseUrl, 'boss@example.com');
    expect(session.status).toBe(200);
    expect(session.body.user.role).toBe('admin');
    expect((await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: session.body.accessToken })).status).toBe(200);
    // The server was not empty: a sign-up now is a member.
    const member = await signUp(server.baseUrl, 'after-cli');
    expect((await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: member.token })).status).toBe(403);
    const events = await auditEvents(server.baseUrl, session.body.accessToken);
    expect(events.find((e) => e.action === 'user.created')).toMatchObject({ actorId: null, details: { email: 'boss@example.com', role: 'admin', via: 'cli' } });
  });
});
