import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const SECRET = 'attack-test-secret-attack-test-secret-0123456789';
const enc = new TextEncoder();
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The attacks of the security review, as tests. */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`attacks on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    beforeAll(async () => {
      llm = await startFakeLlm((request) =>
        request.body['stream'] === true ? { stream: ['slow '], hang: true } : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
      );
      server = await startTestApp({
        engine,
        env: {
          TALLY_JWT_SECRET: SECRET,
          TALLY_WS_TICKET_TTL_SECONDS: '1',
          TALLY_MAX_ACTIVE_RUNS: '1',
          TALLY_MESSAGES_PER_MINUTE: '4',
          TALLY_MAX_SOCKETS_PER_USER: '2',
          TALLY_CORS_ORIGINS: 'https://app.example.com',
          TALLY_LLM_BASE_URL: llm.url,
          TALLY_LLM_MODEL: 'fake',
          TALLY_LLM_API_KEY: 'k',
        },
      });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    const refused = async (token: string) => {
      // The credential is checked before any workspace is looked at: any workspace id answers 401.
      expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${crypto.randomUUID()}/threads`, { token })).status).toBe(401);
      await expect(openTestSocket(server.wsUrl, { protocols: ['tally.v1', `bearer.${token}`] })).rejects.toMatchObject({ statusCode: 401 });
    };

    it('refuses forged, expired, wrong-audience and alg:none tokens on REST and on the socket', async () => {
      const user = await signUp(server.baseUrl, 'forgery');
      const [, payload] = user.token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      const sign = (key: string, edit: (j: SignJWT) => SignJWT) =>
        edit(new SignJWT({ email: claims['email'], role: 'admin', sid: claims['sid'] }).setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims['sub']))).sign(enc.encode(key));
      await refused(await sign('another-secret-another-secret-another-secret', (j) => j.setIssuer('tally').setAudience('tally-api').setExpirationTime('5m')));
      await refused(await sign(SECRET, (j) => j.setIssuer('tally').setAudience('tally-api').setIssuedAt(1_600_000_000).setExpirationTime(1_600_000_060)));
      await refused(await sign(SECRET, (j) => j.setIssuer('tally').setAudience('some-other-api').setExpirationTime('5m')));
      await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'admin' })}.`);
      // Tampering with a valid token (its role flipped) breaks its signature.
      const [header, , signature] = user.token.split('.');
      await refused(`${header}.${b64({ ...claims, role: claims['role'] === 'admin' ? 'member' : 'admin' })}.${signature}`);
    });

    it('accepts a ticket once, and not after it expired', async () => {
      const user = await signUp(server.baseUrl, 'tickets');
      const ticket = await ticketFor(server.baseUrl, user.token);
      (await openTestSocket(server.wsUrl, { ticket })).close();
      await expect(openTestSocket(server.wsUrl, { ticket })).rejects.toMatchObject({ statusCode: 401 });
      const late = await ticketFor(server.baseUrl, user.token);
      await new Promise((r) => setTimeout(r, 1_200));
      await expect(openTestSocket(server.wsUrl, { ticket: late })).rejects.toMatchObject({ statusCode: 401 });
    });

    it('slows brute force against one account with growing delays, even for the right password', async () => {
      const user = await signUp(server.baseUrl, 'victim');
      for (let i = 0; i < 5; i++) {
        expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: `guess number ${i}` } })).status).toBe(401);
      }
      const blocked = await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'correct horse battery staple' } });
      expect(blocked).toMatchObject({ status: 429, body: { error: { code: 'AUTH_THROTTLED' } } });
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: 'wrong again' } })).status).toBe(401);
      const longer = await rest<{ error: { details: { retryAfterSeconds: number } } }>(server.baseUrl, 'POST', '/v1/auth/login', {
        json: { email: user.email, password: 'correct horse battery staple' },
      });
      expect(longer.status).toBe(429);
      expect(longer.body.error.details.retryAfterSeconds).toBeGreaterThanOrEqual(2);
    });

    it('refuses common passwords and oversized bodies', async () => {
      expect(await rest(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email: 'common@example.com', password: 'password123' } })).toMatchObject({
        status: 400,
        body: { error: { code: 'AUTH_WEAK_PASSWORD' } },
      });
      const huge = await rest(server.baseUrl, 'POST', '/v1/auth/login', { body: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }), contentType: 'application/json' });
      expect(huge).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
    });

    it('caps messages per minute, runs at once and sockets per user', async () => {
      const user = await signUp(server.baseUrl, 'limits');
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 3, days: 1, requestsPerDay: 100 }) });
      const s1 = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const s2 = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      await expect(openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId })).rejects.toMatchObject({ statusCode: 429 });

      const first = await s1.command('send_message', { text: 'Where is my AI money going?' });
      expect(first['type']).toBe('ack');
      expect(await s1.command('send_message', { text: 'And another thread?' })).toMatchObject({ type: 'error', code: 'RUN_LIMIT_REACHED' });
      await s1.command('stop_run', { runId: (first['data'] as { runId: string }).runId });
      await s1.waitForTerminal((first['data'] as { runId: string }).runId);
      // Four messages a minute: the fifth (counting the refused one) is refused.
      const third = await s1.command('send_message', { text: 'Third' });
      await s1.command('stop_run', { runId: (third['data'] as { runId: string }).runId });
      await s1.waitForTerminal((third['data'] as { runId: string }).runId);
      expect(await s1.command('send_message', { text: 'Fourth' })).toMatchObject({ type: 'ack' });
      expect(await s2.command('send_message', { text: 'Fifth' })).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
      s1.close();
      s2.close();
    });

    it('sets security headers, allows only configured origins, and checks the Origin of sockets', async () => {
      const health = await fetch(`${server.baseUrl}/v1/health`);
      expect(health.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect(health.headers.get('x-frame-options')).toBeTruthy();
      expect(health.headers.get('strict-transport-security')).toBeTruthy();

      const allowed = await fetch(`${server.baseUrl}/v1/health`, { headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const foreign = await fetch(`${server.baseUrl}/v1/health`, { headers: { origin: 'https://evil.example' } });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const csrf = await fetch(`${server.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'a@b.c', password: 'whatever it is' }),
      });
      expect(csrf.status).toBe(403);

      const user = await signUp(server.baseUrl, 'origin');
      const { default: WebSocket } = await import('ws');
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(server.wsUrl, ['tally.v1', `bearer.${user.token}`], { origin: 'https://evil.example' });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
      });
      expect(status).toBe(403);
    });

    // Last: it locks the test's IP out of log-ins and sign-ups for the rest of this server's life.
    it('slows brute force from one IP across many accounts', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 22; i++) {
        statuses.push((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: `nobody${i}@example.com`, password: 'whatever it is' } })).status);
      }
      expect(statuses.slice(0, 14)).toEqual(Array(14).fill(401));
      expect(statuses.at(-1)).toBe(429);
    });
  });
}
