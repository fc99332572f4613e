import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { rest } from '../support/rest.js';
import { openTestSocket } from '../support/ws-test-client.js';

/** A stream that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const PASSWORD = 'log-test horse battery staple';

/**
 * The node's log during a sign-up, a log-in (and a failed one), an API key's creation, a
 * ticket and a WebSocket upgrade with it: one line per request with method, route pattern,
 * status and duration, and none of the credentials or personal data that went through.
 */
describe('request log lines', () => {
  let app: App;
  let baseUrl: string;
  let dataDir: string;
  const log = capture();

  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tally-request-log-'));
    const config = loadConfig({ TALLY_DATA_DIR: dataDir, TALLY_HOST: '127.0.0.1', TALLY_LOG_LEVEL: 'debug' });
    app = await buildApp(config, { logger: createLogger({ level: 'debug', pretty: false, destination: log.stream }) });
    baseUrl = await app.app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('one line per request, and no token, cookie, password, email or ticket in any line', async () => {
    const email = `Log.Secret+${Date.now()}@example.com`;
    const signup = await rest<{ accessToken: string; refreshToken: string; user: { id: string } }>(baseUrl, 'POST', '/v1/auth/signup', { json: { email, password: PASSWORD } });
    expect(signup.status).toBe(201);
    const wrong = await rest(baseUrl, 'POST', '/v1/auth/login', { json: { email, password: `${PASSWORD}!` } });
    expect(wrong.status).toBe(401);
    const loginResponse = await fetch(`${baseUrl}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(loginResponse.status).toBe(200);
    const login = (await loginResponse.json()) as { accessToken: string; refreshToken: string };
    const cookie = loginResponse.headers.get('set-cookie') ?? '';
    const refreshed = await fetch(`${baseUrl}/v1/auth/refresh`, { method: 'POST', headers: { cookie: cookie.split(';')[0]!, 'content-type': 'application/json' }, body: '{}' });
    expect(refreshed.status).toBeLessThan(500);
    const key = await rest<{ key: string }>(baseUrl, 'POST', `/v1/workspaces/${signup.body.user.id}/api-keys`, { token: login.accessToken, json: { name: 'log test', scopes: ['usage:write'] } });
    expect(key.status).toBe(201);
    const ticket = await rest<{ ticket: string }>(baseUrl, 'POST', '/v1/ws-tickets', { token: login.accessToken });
    const socket = await openTestSocket(baseUrl.replace(/^http/, 'ws') + '/v1/ws', { ticket: ticket.body.ticket });
    await socket.command('ping').catch(() => undefined);
    socket.close();
    await socket.closed;
    // Requests with the credentials in a query string too (a client's mistake the log must not repeat).
    await fetch(`${baseUrl}/v1/workspaces/${signup.body.user.id}/threads?token=${encodeURIComponent(login.accessToken)}&password=${encodeURIComponent(PASSWORD)}`);
    await new Promise((r) => setTimeout(r, 100));

    const text = log.text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l['msg'] === 'request');
    for (const expected of [
      { method: 'POST', route: '/v1/auth/signup', status: 201 },
      { method: 'POST', route: '/v1/auth/login', status: 401 },
      { method: 'POST', route: '/v1/auth/login', status: 200 },
      { method: 'POST', route: '/v1/workspaces/:workspaceId/api-keys', status: 201 },
      { method: 'POST', route: '/v1/ws-tickets', status: 201 },
      { method: 'GET', route: '/v1/workspaces/:workspaceId/threads', status: 401 },
      { method: 'GET', route: '/v1/ws', status: 101 },
    ]) {
      expect(requests, JSON.stringify(expected)).toContainEqual(expect.objectContaining({ ...expected, durationMs: expect.any(Number) }));
    }
    // One line per request: signup, 2 logins, refresh, key, ticket, upgrade, threads.
    expect(requests).toHaveLength(8);

    const secrets = {
      password: PASSWORD,
      email,
      emailLowerCase: email.toLowerCase(),
      accessToken: login.accessToken,
      signupAccessToken: signup.body.accessToken,
      refreshToken: login.refreshToken,
      cookie: cookie.split(';')[0]!.split('=').slice(1).join('='),
      apiKey: key.body.key,
      ticket: ticket.body.ticket,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(8);
      expect(text.includes(secret), `${name} appears in the log`).toBe(false);
    }
  }, 60_000);

  it('pretty lines when asked (a terminal), JSON otherwise', () => {
    const pretty = capture();
    createLogger({ level: 'info', pretty: true, destination: pretty.stream }).info({ method: 'GET', route: '/v1/health', status: 200, durationMs: 1.2 }, 'request');
    const json = capture();
    createLogger({ level: 'info', pretty: false, destination: json.stream }).info({ route: '/v1/health' }, 'request');
    expect(pretty.text()).toContain('request');
    expect(() => JSON.parse(pretty.text())).toThrow();
    expect(JSON.parse(json.text())).toMatchObject({ msg: 'request', route: '/v1/health' });
  });
});
