import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/** Limits and revocations hold across nodes: two processes sharing PostgreSQL and Redis. */
describe.skipIf(scale.skipReason !== null)(`security across two nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let admin: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    cluster = await startCluster({ engine: scale, count: 2, env: { TALLY_MAX_SOCKETS_PER_USER: '2' } });
    admin = await signUp(cluster.nodes[0]!.url, 'cluster-admin'); // the first account: admin
  }, 90_000);
  afterAll(async () => cluster?.close());

  const [a, b] = [() => cluster.nodes[0]!, () => cluster.nodes[1]!];

  it('revoking a session on one node closes its socket on the other within seconds', async () => {
    const user = await signUp(a().url, 'revoke');
    const second = await rest<{ accessToken: string }>(a().url, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'correct horse battery staple' } });
    const socket = await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, second.body.accessToken) });
    const sessions = await rest<{ sessions: Array<{ id: string; current: boolean }> }>(a().url, 'GET', '/v1/sessions', { token: user.token });
    const target = sessions.body.sessions.find((s) => !s.current)!;
    const started = Date.now();
    expect((await rest(a().url, 'DELETE', `/v1/sessions/${target.id}`, { token: user.token })).status).toBe(204);
    expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
    console.info(`session revoked on node A: socket on node B closed after ${Date.now() - started} ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await rest(b().url, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: second.body.accessToken })).status).toBe(401);
  });

  /** A command sent by a socket whose credential was just revoked: never acked, and no run is created. */
  async function expectNothingAccepted(socket: TestSocket, userId: string) {
    const runsOf = async () => Number((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM $schema.runs WHERE owner_id = $1', [userId]))[0]!.n);
    const before = await runsOf();
    const answer = await socket.command('send_message', { workspaceId: userId, text: 'after the revocation' }).catch(() => 'closed' as const);
    if (answer !== 'closed') expect(answer).toMatchObject({ type: 'error' });
    expect(await runsOf()).toBe(before);
  }

  it('revoking an API key on one node closes the socket opened with its ticket on the other within seconds', async () => {
    const user = await signUp(a().url, 'key-revoke');
    const key = await rest<{ id: string; key: string }>(a().url, 'POST', `/v1/workspaces/${user.userId}/api-keys`, { token: user.token, json: { name: 'cluster key', scopes: ['full'] } });
    const socket = await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, key.body.key) });
    expect(await socket.command('ping')).toMatchObject({ type: 'ack' });
    const started = Date.now();
    expect((await rest(a().url, 'DELETE', `/v1/workspaces/${user.userId}/api-keys/${key.body.id}`, { token: user.token })).status).toBe(200);
    await expectNothingAccepted(socket, user.userId);
    const closed = await socket.closed;
    expect(closed).toMatchObject({ code: CLOSE_CODES.UNAUTHORIZED, reason: expect.stringMatching(/^AUTH_INVALID_API_KEY/) });
    console.info(`key revoked on node A: socket on node B closed after ${Date.now() - started} ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('disabling an account on one node closes all its sockets on the other, whatever opened them', async () => {
    const user = await signUp(a().url, 'disable');
    const key = await rest<{ id: string; key: string }>(a().url, 'POST', `/v1/workspaces/${user.userId}/api-keys`, { token: user.token, json: { name: 'cluster key', scopes: ['full'] } });
    const keySocket = await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, key.body.key) });
    const sessionSocket = await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, user.token) });
    const started = Date.now();
    expect((await rest(a().url, 'PATCH', `/v1/admin/users/${user.userId}`, { token: admin.token, json: { disabled: true } })).status).toBe(200);
    await expectNothingAccepted(keySocket, user.userId);
    for (const socket of [keySocket, sessionSocket]) expect((await socket.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
    console.info(`account disabled on node A: its sockets on node B closed after ${Date.now() - started} ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await rest(b().url, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: key.body.key })).toMatchObject({ status: 401, body: { error: { code: 'AUTH_ACCOUNT_DISABLED' } } });
  });

  it('counts failed log-ins of one account on every node', async () => {
    const user = await signUp(a().url, 'throttled');
    for (let i = 0; i < 5; i++) {
      const node = i % 2 === 0 ? a() : b();
      expect((await rest(node.url, 'POST', '/v1/auth/login', { json: { email: user.email, password: `bad guess ${i}` } })).status).toBe(401);
    }
    expect(await rest(b().url, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'correct horse battery staple' } })).toMatchObject({
      status: 429,
      body: { error: { code: 'AUTH_THROTTLED' } },
    });
    expect((await rest(a().url, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'correct horse battery staple' } })).status).toBe(429);
  });

  it('caps a user\'s open sockets across nodes', async () => {
    const user = await signUp(b().url, 'sockets');
    const s1 = await openTestSocket(a().wsUrl, { ticket: await ticketFor(a().url, user.token) });
    const s2 = await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, user.token) });
    await expect(openTestSocket(a().wsUrl, { ticket: await ticketFor(a().url, user.token) })).rejects.toMatchObject({ statusCode: 429 });
    s1.close();
    await s1.closed;
    await expect.poll(async () => {
      try {
        (await openTestSocket(b().wsUrl, { ticket: await ticketFor(b().url, user.token) })).close();
        return 'opened';
      } catch {
        return 'refused';
      }
    }, { timeout: 5_000 }).toBe('opened');
    s2.close();
  });
});
