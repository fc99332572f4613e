import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceFirstAdminSetup, createFirstAdminSetup } from '../../src/auth/first-admin-setup.js';
import { resolveTokenSecret } from '../../src/auth/token-secret.js';
import { SYSTEM_USER_ID } from '../../src/store/system-user.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { rawRequest, upgradeStatus } from './support/raw-http.js';

const PASSWORD = 'correct horse battery staple';
const email = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;

/**
 * DNS rebinding and first-admin capture. A page on attacker.example whose name is rebound to
 * 127.0.0.1 is same-origin with itself, so Origin = Host tells nothing: the Host must name this
 * server (its public URL's host, TALLY_ALLOWED_HOSTS, loopback names, IP addresses). And a
 * server others can reach gives its first (admin) account only to whoever has the setup token
 * from its log.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`DNS rebinding and first-admin capture on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let local: TestApp;
    let published: TestApp;
    beforeAll(async () => {
      local = await startTestApp({ engine });
      // Listening on loopback here, but published under public names: others reach it.
      published = await startTestApp({ engine, env: { TALLY_PUBLIC_URL: 'http://tally.test', TALLY_ALLOWED_HOSTS: 'tally.internal' } });
    }, 120_000);
    afterAll(async () => {
      await local?.close();
      await published?.close();
    });

    const port = () => new URL(local.baseUrl).port;
    const usersOf = async (server: TestApp) => (await server.app.services.db.selectFrom('users').select('email').where('id', '!=', SYSTEM_USER_ID).execute()).map((u) => u.email);

    it('refuses state-changing requests naming a foreign host, whatever the Origin says (rebinding)', async () => {
      const before = await usersOf(local);
      const rebound = `attacker.example:${port()}`;
      const attempts: Array<Record<string, string>> = [{ host: rebound, origin: `http://${rebound}` }, { host: rebound }, { host: 'attacker.example' }];
      for (const headers of attempts) {
        const res = await rawRequest(local.baseUrl, 'POST', '/v1/auth/signup', { headers, json: { email: email('rebind'), password: PASSWORD } });
        expect(res, JSON.stringify(headers)).toMatchObject({ status: 403, body: { error: { code: 'AUTH_HOST_FORBIDDEN' } } });
      }
      expect(await usersOf(local)).toEqual(before);
    });

    it('refuses a foreign Origin on this server\'s own host, and answers its own pages, loopback names, IPs and allowed hosts', async () => {
      const foreign = await rawRequest(local.baseUrl, 'POST', '/v1/auth/login', {
        headers: { host: `127.0.0.1:${port()}`, origin: 'http://evil.example' },
        json: { email: 'x@example.com', password: 'y' },
      });
      expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'AUTH_ORIGIN_FORBIDDEN' } } });
      for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, `192.0.2.10:${port()}`]) {
        const res = await rawRequest(local.baseUrl, 'POST', '/v1/auth/login', { headers: { host, origin: `http://${host}` }, json: { email: 'x@example.com', password: 'wrong' } });
        expect(res.status, host).toBe(401);
      }
      for (const host of ['tally.test', 'tally.internal:8443']) {
        const res = await rawRequest(published.baseUrl, 'POST', '/v1/auth/login', { headers: { host, origin: `http://${host}` }, json: { email: 'x@example.com', password: 'wrong' } });
        expect(res.status, host).toBe(401);
      }
      const unlisted = await rawRequest(published.baseUrl, 'POST', '/v1/auth/login', { headers: { host: 'other.test' }, json: { email: 'x@example.com', password: 'wrong' } });
      expect(unlisted.status).toBe(403);
    });

    it('refuses WebSocket upgrades from a rebinding domain or a foreign origin before any credential is read', async () => {
      const user = await signUp(local.baseUrl, 'rebind-socket');
      const protocols = ['tally.v1', `bearer.${user.token}`];
      expect(await upgradeStatus(local.wsUrl, protocols, { host: `attacker.example:${port()}`, origin: `http://attacker.example:${port()}` })).toBe(403);
      expect(await upgradeStatus(local.wsUrl, protocols, { origin: 'http://evil.example' })).toBe(403);
      expect(await upgradeStatus(local.wsUrl, protocols, { origin: `http://127.0.0.1:${port()}` })).toBe(101);
    });

    it('a server others can reach gives its first (admin) account only with the setup token from its log', async () => {
      const secret = await resolveTokenSecret(published.app.services.db, undefined);
      const token = createFirstAdminSetup({ secret, required: true }).token!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);

      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      await announceFirstAdminSetup({ db: published.app.services.db, logger, setup: createFirstAdminSetup({ secret, required: true }), publicUrl: 'http://tally.test' });
      expect(lines.join('')).toContain(`http://tally.test/?setup=${token}`);

      for (const setupToken of [undefined, '', 'x'.repeat(32), token.slice(0, 31)]) {
        const res = await rest(published.baseUrl, 'POST', '/v1/auth/signup', { json: { email: email('capture'), password: PASSWORD, ...(setupToken === undefined ? {} : { setupToken }) } });
        expect(res, String(setupToken)).toMatchObject({ status: 403, body: { error: { code: 'AUTH_SETUP_TOKEN_INVALID' } } });
      }
      expect(await usersOf(published)).toEqual([]);

      const admin = await rest<{ user: { role: string } }>(published.baseUrl, 'POST', '/v1/auth/signup', { json: { email: email('owner'), password: PASSWORD, setupToken: token } });
      expect(admin).toMatchObject({ status: 201, body: { user: { role: 'admin' } } });
      // Once the server has its admin, sign-up is as configured, with no token.
      expect((await signUp(published.baseUrl, 'after-setup')).token).toBeTruthy();
      const lines2: string[] = [];
      await announceFirstAdminSetup({
        db: published.app.services.db,
        logger: pino({ level: 'warn' }, { write: (line: string) => void lines2.push(line) }),
        setup: createFirstAdminSetup({ secret, required: true }),
        publicUrl: 'http://tally.test',
      });
      expect(lines2).toEqual([]);
    });

    it('a server on loopback only needs no setup token', async () => {
      expect(createFirstAdminSetup({ secret: 's'.repeat(32), required: false }).token).toBeNull();
      // `local` listens on 127.0.0.1 with no public name: its first sign-up above took no token and is admin.
      const first = await local.app.services.db.selectFrom('users').select('role').where('id', '!=', SYSTEM_USER_ID).orderBy('created_at').executeTakeFirstOrThrow();
      expect(first.role).toBe('admin');
    });
  });
}
