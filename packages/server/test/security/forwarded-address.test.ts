import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { engineSetups } from '../support/engines.js';
import { rest } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { rawRequest } from './support/raw-http.js';
import { auditEvents } from './security-fixtures.js';

const PASSWORD = 'correct horse battery staple';

/**
 * X-Forwarded-For is believed only from the proxies TALLY_TRUST_PROXY names. By default a client
 * that sends it is the address its socket comes from: it cannot dodge the per-IP log-in throttle
 * by rotating the header, nor write addresses of its choosing into the session list or audit log.
 */
describe('TALLY_TRUST_PROXY', () => {
  it('is off by default, and takes a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TALLY_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TALLY_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TALLY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '300.1.1.1', '-1']) {
      expect(() => loadConfig({ TALLY_TRUST_PROXY: bad }), bad).toThrow(ConfigError);
    }
  });
});

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`forwarded addresses on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let direct: TestApp;
    let proxied: TestApp;
    beforeAll(async () => {
      direct = await startTestApp({ engine });
      // The test client plays the proxy: its address is the trusted one.
      proxied = await startTestApp({ engine, env: { TALLY_TRUST_PROXY: '127.0.0.1' } });
    }, 120_000);
    afterAll(async () => {
      await direct?.close();
      await proxied?.close();
    });

    const signUpFrom = async (baseUrl: string, label: string, forwardedFor: string) => {
      const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
      const res = await rawRequest(baseUrl, 'POST', '/v1/auth/signup', { headers: { 'x-forwarded-for': forwardedFor }, json: { email, password: PASSWORD } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { accessToken: string; user: { id: string } };
    };
    const failedLogins = async (baseUrl: string, count: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < count; i++) {
        const res = await rawRequest(baseUrl, 'POST', '/v1/auth/login', {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
          json: { email: `nobody-${i}-${Date.now()}@example.com`, password: 'wrong password' },
        });
        statuses.push(res.status);
      }
      return statuses;
    };

    it('by default, a spoofed X-Forwarded-For is ignored: session list and audit log show the socket address', async () => {
      const admin = await signUpFrom(direct.baseUrl, 'spoof-admin', '203.0.113.66');
      const sessions = await rest<{ sessions: Array<{ ip: string }> }>(direct.baseUrl, 'GET', '/v1/sessions', { token: admin.accessToken });
      expect(sessions.body.sessions.map((s) => s.ip)).toEqual(['127.0.0.1']);
      const signup = (await auditEvents(direct.baseUrl, admin.accessToken)).find((e) => e.action === 'auth.signup' && e.actorId === admin.user.id);
      expect(signup?.ip).toBe('127.0.0.1');
    });

    it('by default, rotating X-Forwarded-For does not dodge the per-IP log-in throttle', async () => {
      const statuses = await failedLogins(direct.baseUrl, 22);
      expect(statuses.slice(0, 19).every((s) => s === 401)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    });

    it('from a configured proxy, the forwarded address is the client: sessions, audit log and throttle use it', async () => {
      const admin = await signUpFrom(proxied.baseUrl, 'proxied-admin', '203.0.113.7');
      const sessions = await rest<{ sessions: Array<{ ip: string }> }>(proxied.baseUrl, 'GET', '/v1/sessions', { token: admin.accessToken });
      expect(sessions.body.sessions.map((s) => s.ip)).toEqual(['203.0.113.7']);
      const signup = (await auditEvents(proxied.baseUrl, admin.accessToken)).find((e) => e.action === 'auth.signup' && e.actorId === admin.user.id);
      expect(signup?.ip).toBe('203.0.113.7');
      // Each failure comes from another client: none of them is held back by the others'.
      expect(new Set(await failedLogins(proxied.baseUrl, 22))).toEqual(new Set([401]));
    });
  });
}
