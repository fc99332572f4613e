import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, TallyApiError } from '@tally/client';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'correct horse battery staple';

/**
 * GET and PATCH /v1/me through the client: the display name is trimmed, bounded, cleared by null
 * or blanks, carried by every auth answer (log-in, refresh), only ever the caller's own, and not
 * reachable with an API key. The session routes the settings page uses go through the client too.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`profile and settings on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine });
    });
    afterAll(async () => server?.close());

    it('reads and sets the display name; log-in and refresh answers carry it', async () => {
      const user = await signUp(server.baseUrl, 'profile');
      const other = await signUp(server.baseUrl, 'profile-other');
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => user.token });
      expect(await client.me()).toEqual({ id: user.userId, email: user.email, role: expect.any(String), displayName: null });

      expect(await client.updateProfile({ displayName: '  Ada Lovelace ' })).toMatchObject({ id: user.userId, displayName: 'Ada Lovelace' });
      expect((await client.me()).displayName).toBe('Ada Lovelace');
      const login = await client.login({ email: user.email, password: PASSWORD });
      expect(login.user.displayName).toBe('Ada Lovelace');
      expect((await client.refresh(login.refreshToken)).user.displayName).toBe('Ada Lovelace');
      // Only the caller's own account changed.
      const otherMe = await rest(server.baseUrl, 'GET', '/v1/me', { token: other.token });
      expect(otherMe.body).toMatchObject({ id: other.userId, displayName: null });

      const invalid = await client.updateProfile({ displayName: 'x'.repeat(81) }).catch((e: unknown) => e);
      expect(invalid).toBeInstanceOf(TallyApiError);
      expect((invalid as TallyApiError).code).toBe('VALIDATION_FAILED');
      for (const body of [{}, { displayName: 42 }]) {
        const res = await rest(server.baseUrl, 'PATCH', '/v1/me', { token: user.token, json: body });
        expect(res, JSON.stringify(body)).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      }
      // Identity comes from the token only: a user id in the body is ignored, never obeyed.
      const smuggled = await rest(server.baseUrl, 'PATCH', '/v1/me', { token: user.token, json: { displayName: 'ok', userId: other.userId } });
      expect(smuggled).toMatchObject({ status: 200, body: { id: user.userId, displayName: 'ok' } });
      expect((await rest(server.baseUrl, 'GET', '/v1/me', { token: other.token })).body).toMatchObject({ displayName: null });

      expect((await client.updateProfile({ displayName: '   ' })).displayName).toBeNull();
      await client.updateProfile({ displayName: 'Ada' });
      expect((await client.updateProfile({ displayName: null })).displayName).toBeNull();
      expect((await client.me()).displayName).toBeNull();
    });

    it('is refused with an API key, and without a credential', async () => {
      const user = await signUp(server.baseUrl, 'profile-key');
      const key = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/api-keys`, { token: user.token, json: { name: 'k', scopes: ['full'] } });
      expect((await rest(server.baseUrl, 'GET', '/v1/me', { token: key.body.key })).status).toBe(403);
      expect((await rest(server.baseUrl, 'PATCH', '/v1/me', { token: key.body.key, json: { displayName: 'bot' } })).status).toBe(403);
      expect((await rest(server.baseUrl, 'GET', '/v1/me')).status).toBe(401);
    });

    it('lists and revokes sessions and changes the password through the client', async () => {
      const user = await signUp(server.baseUrl, 'settings');
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => user.token });
      const second = await client.login({ email: user.email, password: PASSWORD });
      const sessions = await client.listSessions();
      expect(sessions).toHaveLength(2);
      expect(sessions.filter((s) => s.current)).toHaveLength(1);
      const elsewhere = sessions.find((s) => !s.current)!;
      await client.revokeSession(elsewhere.id);
      expect((await client.listSessions()).map((s) => s.id)).not.toContain(elsewhere.id);
      expect((await client.refresh(second.refreshToken).catch((e: unknown) => e)) as TallyApiError).toBeInstanceOf(TallyApiError);

      const newPassword = 'another correct horse battery';
      await client.changePassword(PASSWORD, newPassword);
      expect((await client.login({ email: user.email, password: newPassword })).user.id).toBe(user.userId);
      const wrong = await client.changePassword('not it at all', 'whatever long enough').catch((e: unknown) => e);
      expect((wrong as TallyApiError).code).toBe('AUTH_WRONG_CURRENT_PASSWORD');
    });
  });
}
