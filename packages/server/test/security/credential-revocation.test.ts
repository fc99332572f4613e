import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * A socket lives no longer than the credential that opened it: revoking an API key closes the
 * sockets opened with tickets issued under it; disabling an account closes all of its sockets,
 * whatever opened them; and no command they send after the revocation is carried out.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`credential revocation on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '1000', TALLY_MAX_ACTIVE_RUNS: '100' } });
      admin = await signUp(server.baseUrl, 'revocation-admin');
    });
    afterAll(async () => server?.close());

    const fullKey = async (user: { token: string; userId: string }) => {
      const res = await rest<{ id: string; key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/api-keys`, { token: user.token, json: { name: 'socket key', scopes: ['full'] } });
      expect(res.status).toBe(201);
      return res.body;
    };
    const runsOf = async (userId: string) =>
      Number((await server.app.services.db.selectFrom('runs').select((eb) => eb.fn.countAll<string>().as('n')).where('owner_id', '=', userId).executeTakeFirstOrThrow()).n);

    /** Sends send_message right away; it must not be acked, and no run may be created. */
    async function expectNothingAccepted(socket: TestSocket, userId: string) {
      const before = await runsOf(userId);
      let answer: Record<string, unknown> | 'closed';
      try {
        answer = await socket.command('send_message', { workspaceId: userId, text: 'after the revocation' });
      } catch {
        answer = 'closed';
      }
      if (answer !== 'closed') expect(answer).toMatchObject({ type: 'error' });
      expect(await runsOf(userId)).toBe(before);
    }

    it('revoking a full key closes the socket opened with its ticket (4401) and refuses its commands at once', async () => {
      const user = await signUp(server.baseUrl, 'key-revoked');
      const key = await fullKey(user);
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, key.key) });
      expect(await socket.command('ping')).toMatchObject({ type: 'ack' });
      // A socket of the same user opened with their session is not concerned.
      const sessionSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });

      expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${user.userId}/api-keys/${key.id}`, { token: user.token })).status).toBe(200);
      await expectNothingAccepted(socket, user.userId);
      const closed = await socket.closed;
      expect(closed.code).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect(closed.reason).toMatch(/^AUTH_INVALID_API_KEY/);

      expect(await sessionSocket.command('ping')).toMatchObject({ type: 'ack' });
      sessionSocket.close();
    });

    it('a command on a key socket is refused even when the revocation message never arrived', async () => {
      const user = await signUp(server.baseUrl, 'key-revoked-quietly');
      const key = await fullKey(user);
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, key.key) });
      // Revoked in the database only, as a node that lost the bus message would see it.
      await server.app.services.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', key.id).execute();
      const before = await runsOf(user.userId);
      expect(await socket.command('send_message', { workspaceId: user.userId, text: 'still here?' })).toMatchObject({ type: 'error', code: 'AUTH_INVALID_API_KEY' });
      expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect(await runsOf(user.userId)).toBe(before);
    });

    it('disabling an account closes all of its sockets, whatever opened them, and its token says AUTH_ACCOUNT_DISABLED', async () => {
      const user = await signUp(server.baseUrl, 'disabled');
      const key = await fullKey(user);
      const keySocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, key.key) });
      const sessionSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const bearerSocket = await openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${user.token}`] });

      const disable = await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${user.userId}`, { token: admin.token, json: { disabled: true } });
      expect(disable.status).toBe(200);
      await expectNothingAccepted(keySocket, user.userId);
      for (const socket of [keySocket, sessionSocket, bearerSocket]) {
        const closed = await socket.closed;
        expect(closed.code).toBe(CLOSE_CODES.UNAUTHORIZED);
      }
      expect((await keySocket.closed).reason).toMatch(/^AUTH_ACCOUNT_DISABLED/);
      expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token })).toMatchObject({ status: 401, body: { error: { code: 'AUTH_ACCOUNT_DISABLED' } } });
      expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: key.key })).toMatchObject({ status: 401, body: { error: { code: 'AUTH_ACCOUNT_DISABLED' } } });
      await expect(openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${user.token}`] })).rejects.toMatchObject({ statusCode: 401 });
    });

    it('starting a run re-checks that the account is active, whatever path asks', async () => {
      const user = await signUp(server.baseUrl, 'disabled-run');
      await server.app.services.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.userId).execute();
      await expect(server.app.services.runs.start({ user: { id: user.userId }, workspaceId: user.userId, text: 'a run of a disabled account' })).rejects.toMatchObject({
        code: 'AUTH_ACCOUNT_DISABLED',
      });
      expect(await runsOf(user.userId)).toBe(0);
    });
  });
}
