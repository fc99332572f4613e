import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from '@tally/client';
import type { Db } from '../../src/store/database.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const PASSWORD = 'correct horse battery staple';

/** Rows of everything an account holds, by table: all must be 0 once it is deleted. */
async function holdings(db: Db, userId: string, runIds: string[]): Promise<Record<string, number>> {
  const count = async (table: 'usage_records' | 'threads' | 'messages' | 'runs' | 'api_keys', column: 'owner_id') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where(column, '=', userId).executeTakeFirstOrThrow()).n);
  const byUser = async (table: 'auth_sessions' | 'refresh_tokens' | 'users', column: 'user_id' | 'id') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where(column, '=', userId).executeTakeFirstOrThrow()).n);
  const rollup = async (table: 'usage_daily' | 'usage_prefix_buckets' | 'usage_output_sizes') =>
    Number((await db.selectFrom(table as never).select((eb) => eb.fn.countAll<string>().as('n')).where('owner_id' as never, '=', userId as never).executeTakeFirstOrThrow() as { n: string }).n);
  const events = runIds.length === 0 ? 0 : Number((await db.selectFrom('run_events').select((eb) => eb.fn.countAll<string>().as('n')).where('run_id', 'in', runIds).executeTakeFirstOrThrow()).n);
  return {
    users: await byUser('users', 'id'),
    usage_records: await count('usage_records', 'owner_id'),
    usage_daily: await rollup('usage_daily'),
    usage_prefix_buckets: await rollup('usage_prefix_buckets'),
    usage_output_sizes: await rollup('usage_output_sizes'),
    threads: await count('threads', 'owner_id'),
    messages: await count('messages', 'owner_id'),
    runs: await count('runs', 'owner_id'),
    run_events: events,
    api_keys: await count('api_keys', 'owner_id'),
    auth_sessions: await byUser('auth_sessions', 'user_id'),
    refresh_tokens: await byUser('refresh_tokens', 'user_id'),
  };
}

/**
 * DELETE /v1/me and DELETE /v1/admin/users/:id: the account and everything of it go (usage and
 * its rollups, threads, messages, runs and events, API keys, sessions, refresh tokens), its
 * socket closes and its credentials stop working; nobody can delete someone else's account
 * except an admin, and another user's data stays whole.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`account deletion on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let db: Db;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      db = server.app.services.db;
    }, 120_000);
    afterAll(async () => server?.close());

    /** A user with usage, a finished run in a thread, an API key, a second session and an open socket. */
    async function populated(label: string, seed: number) {
      const user = await signUp(server.baseUrl, label);
      const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed, days: 3, requestsPerDay: 60 }) });
      expect(upload.status).toBe(200);
      const key = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/api-keys`, { token: user.token, json: { name: 'k', scopes: ['full'] } });
      expect(key.status).toBe(201);
      const second = await rest<{ refreshToken: string }>(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: PASSWORD } });
      const socket = await openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${user.token}`], workspaceId: user.userId });
      const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
      const { runId } = ack['data'] as { runId: string };
      await socket.waitForTerminal(runId, 60_000);
      return { ...user, apiKey: key.body.key, secondRefresh: second.body.refreshToken, socket, runIds: [runId] };
    }

    it('deletes the caller\'s own account and all of it, after its password; no one else\'s', async () => {
      const admin = await signUp(server.baseUrl, 'deletion-admin');
      const alice = await populated('deletion-alice', 11);
      const bob = await populated('deletion-bob', 12);
      const before = await holdings(db, alice.userId, alice.runIds);
      for (const [table, n] of Object.entries(before)) expect(n, table).toBeGreaterThan(0);
      const bobBefore = await holdings(db, bob.userId, bob.runIds);

      // Refused: no password, a wrong one, another account named in the body, an API key, no credential.
      expect(await rest(server.baseUrl, 'DELETE', '/v1/me', { token: alice.token, json: {} })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect(await rest(server.baseUrl, 'DELETE', '/v1/me', { token: alice.token, json: { password: 'not the password' } })).toMatchObject({ status: 403, body: { error: { code: 'AUTH_WRONG_CURRENT_PASSWORD' } } });
      expect(await rest(server.baseUrl, 'DELETE', '/v1/me', { token: bob.token, json: { password: PASSWORD, userId: alice.userId } })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect((await rest(server.baseUrl, 'DELETE', '/v1/me', { token: alice.apiKey, json: { password: PASSWORD } })).status).toBe(403);
      expect((await rest(server.baseUrl, 'DELETE', '/v1/me', { json: { password: PASSWORD } })).status).toBe(401);
      // A member cannot use the admin route on someone else.
      expect((await rest(server.baseUrl, 'DELETE', `/v1/admin/users/${alice.userId}`, { token: bob.token })).status).toBe(403);
      expect(await holdings(db, alice.userId, alice.runIds)).toEqual(before);

      await createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => alice.token }).deleteAccount(PASSWORD);

      const after = await holdings(db, alice.userId, alice.runIds);
      expect(after).toEqual(Object.fromEntries(Object.keys(before).map((table) => [table, 0])));
      expect((await alice.socket.closed).code).toBe(4401);
      expect((await rest(server.baseUrl, 'GET', '/v1/me', { token: alice.token })).status).toBe(401);
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${alice.userId}/threads`, { token: alice.apiKey })).status).toBe(401);
      expect((await rest(server.baseUrl, 'POST', '/v1/auth/refresh', { json: { refreshToken: alice.secondRefresh } })).status).toBe(401);
      expect(await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: alice.email, password: PASSWORD } })).toMatchObject({ status: 401, body: { error: { code: 'AUTH_INVALID_CREDENTIALS' } } });
      // Bob's account and data are whole; so is the admin's.
      expect(await holdings(db, bob.userId, bob.runIds)).toEqual(bobBefore);
      expect((await rest(server.baseUrl, 'GET', '/v1/me', { token: admin.token })).status).toBe(200);
      bob.socket.close();
    });

    it('lets an admin delete any account, never the last active admin', async () => {
      const admins = await db.selectFrom('users').select(['id', 'email']).where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
      expect(admins).toHaveLength(1);
      const adminLogin = await rest<{ accessToken: string }>(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: admins[0]!.email, password: PASSWORD } });
      const adminToken = adminLogin.body.accessToken;
      const carol = await populated('deletion-carol', 13);

      expect(await rest(server.baseUrl, 'DELETE', `/v1/admin/users/${carol.userId}`, { token: adminToken })).toMatchObject({ status: 204 });
      expect(Object.values(await holdings(db, carol.userId, carol.runIds)).every((n) => n === 0)).toBe(true);
      expect((await carol.socket.closed).code).toBe(4401);
      expect(await rest(server.baseUrl, 'DELETE', `/v1/admin/users/${carol.userId}`, { token: adminToken })).toMatchObject({ status: 404, body: { error: { code: 'USER_NOT_FOUND' } } });
      // The only active admin cannot delete itself, by either route.
      expect(await rest(server.baseUrl, 'DELETE', `/v1/admin/users/${admins[0]!.id}`, { token: adminToken })).toMatchObject({ status: 409, body: { error: { code: 'USER_LAST_ADMIN' } } });
      expect(await rest(server.baseUrl, 'DELETE', '/v1/me', { token: adminToken, json: { password: PASSWORD } })).toMatchObject({ status: 409, body: { error: { code: 'USER_LAST_ADMIN' } } });
      expect((await rest(server.baseUrl, 'GET', '/v1/me', { token: adminToken })).status).toBe(200);
      const audit = await rest<{ events: Array<{ action: string; target: string | null }> }>(server.baseUrl, 'GET', '/v1/admin/audit', { token: adminToken });
      expect(audit.body.events.filter((e) => e.action === 'user.deleted').map((e) => e.target)).toContain(`user:${carol.userId}`);
    });
  });
}
