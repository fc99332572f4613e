import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, REFRESH_COOKIE } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket } from '../support/ws-test-client.js';

const PASSWORD = 'correct horse battery staple';

/** Refresh tokens rotate; a replayed one ends its session; ending a session closes its sockets. */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`sessions on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine, env: { TALLY_REFRESH_REUSE_GRACE_MS: '0' } });
    });
    afterAll(async () => server?.close());

    const login = async (email: string, device: string) => {
      const response = await fetch(`${server.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': device },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const body = (await response.json()) as { accessToken: string; refreshToken: string };
      return { ...body, cookie: response.headers.get('set-cookie') ?? '' };
    };
    const refresh = (refreshToken: string) => rest<{ accessToken: string; refreshToken: string; error?: { code: string } }>(server.baseUrl, 'POST', '/v1/auth/refresh', { json: { refreshToken } });

    it('keeps the refresh token in an httpOnly, SameSite=Strict cookie scoped to the auth routes', async () => {
      const user = await signUp(server.baseUrl, 'cookie');
      const { cookie } = await login(user.email, 'browser');
      expect(cookie).toContain(`${REFRESH_COOKIE}=`);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Path=\/v1\/auth/);
      // A browser refreshes with the cookie alone, and logs out with it.
      const token = /tally_refresh=([^;]+)/.exec(cookie)![1]!;
      const viaCookie = await fetch(`${server.baseUrl}/v1/auth/refresh`, { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(viaCookie.status).toBe(200);
      const next = /tally_refresh=([^;]+)/.exec(viaCookie.headers.get('set-cookie') ?? '')![1]!;
      const out = await fetch(`${server.baseUrl}/v1/auth/logout`, { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${next}`, 'content-type': 'application/json' }, body: '{}' });
      expect(out.status).toBe(204);
      expect((await refresh(next)).status).toBe(401);
    });

    it('rotates refresh tokens, and a replayed one ends its session, its access tokens and its sockets', async () => {
      const user = await signUp(server.baseUrl, 'replay');
      const first = await login(user.email, 'laptop');
      const rotated = await refresh(first.refreshToken);
      expect(rotated.status).toBe(200);
      expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, rotated.body.accessToken) });

      // The attacker replays the old token: the session ends for everyone holding it.
      expect(await refresh(first.refreshToken)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REFRESH_REUSED' } } });
      expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect(await refresh(rotated.body.refreshToken)).toMatchObject({ status: 401 });
      expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: rotated.body.accessToken })).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH_SESSION_REVOKED' } },
      });
      // The user's other sessions are untouched.
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).status).toBe(200);
    });

    it('lists sessions with device, IP and last seen, and revoking one closes its socket and its tokens', async () => {
      const user = await signUp(server.baseUrl, 'devices');
      const phone = await login(user.email, 'Phone Browser 1.0');
      const socket = await openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${phone.accessToken}`] });
      const list = await rest<{ sessions: Array<{ id: string; device: string; ip: string; lastSeenAt: string; current: boolean }> }>(server.baseUrl, 'GET', '/v1/sessions', {
        token: user.token,
      });
      expect(list.body.sessions).toHaveLength(2);
      const phoneSession = list.body.sessions.find((s) => s.device === 'Phone Browser 1.0')!;
      expect(phoneSession).toMatchObject({ ip: '127.0.0.1', current: false, lastSeenAt: expect.any(String) });
      expect(list.body.sessions.filter((s) => s.current)).toHaveLength(1);

      const other = await signUp(server.baseUrl, 'other');
      expect((await rest(server.baseUrl, 'DELETE', `/v1/sessions/${phoneSession.id}`, { token: other.token })).status).toBe(404);
      expect((await rest(server.baseUrl, 'DELETE', `/v1/sessions/${phoneSession.id}`, { token: user.token })).status).toBe(204);
      expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect((await refresh(phone.refreshToken)).status).toBe(401);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: phone.accessToken })).status).toBe(401);
    });

    it("signing out all other sessions ends the user's others (sockets too), keeps this one and touches no other user", async () => {
      const user = await signUp(server.baseUrl, 'signout-others');
      const laptop = await login(user.email, 'laptop');
      const phone = await login(user.email, 'phone');
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, phone.accessToken) });
      const bystander = await signUp(server.baseUrl, 'bystander');

      expect((await rest(server.baseUrl, 'DELETE', '/v1/sessions')).status).toBe(401);
      expect(await rest(server.baseUrl, 'DELETE', '/v1/sessions', { token: user.token })).toMatchObject({ status: 200, body: { revoked: 2 } });
      expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
      for (const other of [laptop, phone]) {
        expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: other.accessToken })).status).toBe(401);
        expect((await refresh(other.refreshToken)).status).toBe(401);
      }
      const left = await rest<{ sessions: Array<{ current: boolean }> }>(server.baseUrl, 'GET', '/v1/sessions', { token: user.token });
      expect(left.body.sessions).toEqual([expect.objectContaining({ current: true })]);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${bystander.userId}/threads`, { token: bystander.token })).status).toBe(200);
      // Nothing left to end: an answer, not an error.
      expect(await rest(server.baseUrl, 'DELETE', '/v1/sessions', { token: user.token })).toMatchObject({ status: 200, body: { revoked: 0 } });
    });

    it('a password change ends every other session and closes their sockets', async () => {
      const user = await signUp(server.baseUrl, 'pwchange');
      const other = await login(user.email, 'old laptop');
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, other.accessToken) });
      expect(
        await rest(server.baseUrl, 'POST', '/v1/me/password', { token: user.token, json: { currentPassword: 'wrong', newPassword: 'a brand new passphrase' } }),
      ).toMatchObject({ status: 403, body: { error: { code: 'AUTH_WRONG_CURRENT_PASSWORD' } } });
      expect(
        (await rest(server.baseUrl, 'POST', '/v1/me/password', { token: user.token, json: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } })).status,
      ).toBe(204);
      expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: other.accessToken })).status).toBe(401);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).status).toBe(200);
      expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'a brand new passphrase' } })).status).toBe(200);
    });
  });
}
