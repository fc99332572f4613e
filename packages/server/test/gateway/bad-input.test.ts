import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, MAX_CLIENT_FRAME_BYTES } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const [embedded] = engineSetups();

describe('bad input gets a typed error, and nothing is lost', () => {
  let server: TestApp;
  let user: Awaited<ReturnType<typeof signUp>>;
  const socketFor = async () => openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });

  beforeAll(async () => {
    server = await startTestApp({ engine: embedded! });
    user = await signUp(server.baseUrl, 'bad-input');
  });
  afterAll(async () => server?.close());

  it('refuses an upgrade without a valid credential with HTTP 401, before any socket opens', async () => {
    const attempts: Array<{ url: string; protocols?: string[] }> = [
      { url: server.wsUrl },
      { url: `${server.wsUrl}?ticket=not-a-real-ticket-aaaaaaaaaaaaaaaa` },
      { url: server.wsUrl, protocols: ['tally.v1', 'bearer.not-a-token'] },
      { url: server.wsUrl, protocols: ['tally.v1'] },
    ];
    for (const attempt of attempts) {
      await expect(openTestSocket(attempt.url, attempt.protocols ? { protocols: attempt.protocols } : {})).rejects.toMatchObject({ statusCode: 401 });
    }
    // A ticket is good once.
    const ticket = await ticketFor(server.baseUrl, user.token);
    const first = await openTestSocket(server.wsUrl, { ticket });
    await expect(openTestSocket(server.wsUrl, { ticket })).rejects.toMatchObject({ statusCode: 401 });
    first.close();
    // The bearer subprotocol works, and the server never echoes the token back.
    const bearer = await openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${user.token}`] });
    expect(bearer.ws.protocol).toBe('tally.v1');
    bearer.close();
  });

  it('answers malformed frames with typed errors and keeps the connection up', async () => {
    const socket = await socketFor();
    socket.sendRaw('{not json');
    await socket.waitFor((f) => f['code'] === 'FRAME_INVALID_JSON');
    socket.send({ v: 1, id: 'u1', type: 'launch_missiles', data: {} });
    expect(await socket.waitFor((f) => f['id'] === 'u1')).toMatchObject({ type: 'error', code: 'FRAME_UNKNOWN_TYPE' });
    socket.send({ v: 1, id: 'w1', type: 'send_message', data: { text: 42 } });
    expect(await socket.waitFor((f) => f['id'] === 'w1')).toMatchObject({ type: 'error', code: 'FRAME_INVALID' });
    socket.send({ v: 1, id: 'w2', type: 'subscribe', data: { runId: 'not-a-uuid', afterSeq: -1 } });
    expect(await socket.waitFor((f) => f['id'] === 'w2')).toMatchObject({ type: 'error', code: 'FRAME_INVALID' });
    socket.send({ v: 2, id: 'v2', type: 'ping' });
    expect(await socket.waitFor((f) => f['id'] === 'v2')).toMatchObject({ type: 'error', code: 'FRAME_UNSUPPORTED_VERSION' });
    socket.send({ v: 1, type: 'ping' });
    await socket.waitFor((f) => f['type'] === 'error' && f['id'] === null && f['code'] === 'FRAME_INVALID');
    socket.sendRaw(Buffer.from([1, 2, 3]));
    await socket.waitFor((f) => f['type'] === 'error' && String(f['message']).includes('Binary'));
    socket.send({ v: 1, id: 's1', type: 'send_message', data: { text: '   ' } });
    expect(await socket.waitFor((f) => f['id'] === 's1')).toMatchObject({ type: 'error', code: 'FRAME_INVALID' });
    // Still up and serving.
    expect(await socket.command('ping')).toMatchObject({ type: 'ack', data: { pong: true } });
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it('closes a socket that sends a frame over the size limit, with a policy code', async () => {
    const socket = await socketFor();
    socket.send({ v: 1, id: 'big', type: 'send_message', data: { text: 'x'.repeat(MAX_CLIENT_FRAME_BYTES + 10) } });
    const { code } = await socket.closed;
    expect(code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
  });

  it('closes a socket that floods frames, with a policy code, and the server goes on', async () => {
    const socket = await socketFor();
    for (let i = 0; i < 500; i++) socket.send({ v: 1, id: `f${i}`, type: 'ping' });
    const { code } = await socket.closed;
    expect(code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    const fresh = await socketFor();
    expect(await fresh.command('ping')).toMatchObject({ type: 'ack' });
    fresh.close();
  });

  it('reports a bad usage line with its number and reason, stores the good ones, and loses nothing stored before', async () => {
    const good = usageNdjson({ seed: 3, days: 1, requestsPerDay: 200 }).trimEnd().split('\n');
    expect(good.length).toBeGreaterThan(20);
    const first = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: good.slice(0, 10).join('\n') });
    expect(first.body).toMatchObject({ inserted: 10, rejected: 0 });
    const mixed = [...good.slice(10, 12), '{"model": "gpt-4o", "ts": "yesterday"}', 'not json at all', ...good.slice(12)].join('\n');
    const res = await rest<{ inserted: number; rejected: number; errors: Array<{ line: number; reason: string }> }>(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, {
      token: user.token,
      body: mixed,
    });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toBe(2);
    expect(res.body.inserted).toBe(good.length - 10);
    expect(res.body.errors.map((e) => e.line)).toEqual([3, 4]);
    for (const e of res.body.errors) expect(e.reason.length).toBeGreaterThan(3);
    const overview = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/usage/overview`, { token: user.token });
    expect(overview.body).toMatchObject({ records: good.length });
    // Nothing but bad lines: a clear 400, nothing stored.
    const bad = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: 'nope\n{"x":1}\n' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'USAGE_INVALID_RECORD', details: { inserted: 0, rejected: 2 } } });
    const empty = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: '\n\n' });
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'USAGE_EMPTY' } } });
    expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/usage/overview`, { token: user.token })).body).toMatchObject({ records: good.length });
  });

  it('answers bad REST input with typed errors', async () => {
    expect(await rest(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email: 'not-an-email', password: 'x' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
    expect(await rest(server.baseUrl, 'POST', '/v1/auth/login', { body: '{oops', contentType: 'application/json' })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
    expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REQUIRED' } } });
    expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: 'garbage' })).toMatchObject({ status: 401, body: { error: { code: 'AUTH_INVALID_TOKEN' } } });
    expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/123`, { token: user.token })).toMatchObject({ status: 404, body: { error: { code: 'RUN_NOT_FOUND' } } });
    expect(await rest(server.baseUrl, 'GET', '/v1/nope')).toMatchObject({ status: 404, body: { error: { code: 'ROUTE_NOT_FOUND' } } });
  });
});
