import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE, type AuthResponse } from '@tally/protocol';
import { OIDC_FLOW_COOKIE } from '../../src/http/oidc-routes.js';
import { SYSTEM_USER_EMAIL, SYSTEM_USER_ID } from '../../src/store/system-user.js';
import { engineSetups, type EngineSetup } from '../support/engines.js';
import { cookieAttributes, FakeBrowser, type FakeBrowserResponse } from '../support/fake-browser.js';
import { startOidcTestProvider, type OidcTestProvider } from '../support/oidc-test-provider.js';
import { rest, signUp } from '../support/rest.js';
import { claimFirstAdmin } from './security-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Sign-in with OpenID Connect against a real provider (`oidc-provider`) started here, driven by a
 * fake browser that keeps cookies and follows redirects by hand. Tally is configured with the
 * public origin http://tally.test, which the browser maps to the test server, so the redirect URI
 * registered at the provider is known before either server listens.
 */
const PUBLIC_URL = 'http://tally.test';
const CALLBACK_URL = `${PUBLIC_URL}/v1/auth/oidc/callback`;
const START_URL = `${PUBLIC_URL}/v1/auth/oidc/start`;

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`OpenID Connect sign-in on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let idp: OidcTestProvider;
    let server: TestApp;
    let accounts = 0;

    beforeAll(async () => {
      idp = await startOidcTestProvider({ redirectUri: CALLBACK_URL });
      server = await startOidcApp(engine, idp);
      // Published at tally.test, the server's first account takes the setup token from its log.
      await claimFirstAdmin(server);
    });
    afterAll(async () => {
      await server?.close();
      await idp?.close();
    });

    const browser = () => new FakeBrowser({ [PUBLIC_URL]: server.baseUrl });

    /** An account at the provider; its id is the `sub`. */
    function account(options: { verified?: boolean | string; email?: string } = {}) {
      const id = `person-${process.pid}-${++accounts}-${Date.now()}`;
      const email = options.email ?? `${id}@example.com`;
      idp.accounts.set(id, { email, email_verified: options.verified ?? true });
      return { id, email };
    }

    /**
     * Start at Tally, on to the provider, log in as `accountId` and consent: the callback URL the
     * provider sends the browser to (not fetched yet). `tamper` may change the authorization request.
     */
    async function throughProvider(b: FakeBrowser, accountId: string, tamper?: (authorizationUrl: URL) => void): Promise<string> {
      const start = await b.request(START_URL);
      expect(start.status).toBe(302);
      const authorizationUrl = new URL(start.location!);
      expect(authorizationUrl.origin).toBe(idp.issuer);
      tamper?.(authorizationUrl);
      return b.follow(
        authorizationUrl.href,
        (url) => url.origin === PUBLIC_URL,
        (url) => (url.pathname.startsWith('/interaction/') ? { [idp.loginHeader]: accountId } : {}),
      );
    }

    async function identityOf(subject: string) {
      return server.app.services.db.selectFrom('oidc_identities').selectAll().where('issuer', '=', idp.issuer).where('subject', '=', subject).executeTakeFirst();
    }

    async function sessionCount(userId: string): Promise<number> {
      const rows = await server.app.services.db.selectFrom('auth_sessions').select('id').where('user_id', '=', userId).execute();
      return rows.length;
    }

    /** POST /v1/auth/refresh with only the browser's cookie, then the access token on a real route. */
    async function signedInAs(b: FakeBrowser): Promise<AuthResponse> {
      const refreshed = await b.request(`${PUBLIC_URL}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(refreshed.status, refreshed.text).toBe(200);
      const session = JSON.parse(refreshed.text) as AuthResponse;
      const threads = await rest(server.baseUrl, 'GET', `/v1/workspaces/${session.user.id}/threads`, { token: session.accessToken });
      expect(threads.status).toBe(200);
      return session;
    }

    it('tells the web app it is enabled, and with which issuer', async () => {
      const res = await rest(server.baseUrl, 'GET', '/v1/auth/oidc/config');
      expect(res).toEqual({ status: 200, body: { enabled: true, issuer: idp.issuer } });
    });

    it('starts with PKCE (S256), state and nonce, bound to the browser by an httpOnly cookie', async () => {
      const b = browser();
      const start = await b.request(START_URL);
      expect(start.status).toBe(302);
      expect(start.location).not.toBeNull();
      const url = new URL(start.location!);
      expect(url.origin + url.pathname).toBe(`${idp.issuer}/auth`);
      const params = Object.fromEntries(url.searchParams);
      expect(params).toMatchObject({ client_id: idp.clientId, response_type: 'code', redirect_uri: CALLBACK_URL, code_challenge_method: 'S256' });
      expect(params['scope']?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
      for (const random of ['state', 'nonce', 'code_challenge']) expect(params[random]?.length ?? 0).toBeGreaterThanOrEqual(43);
      expect(cookieAttributes(start.setCookies, OIDC_FLOW_COOKIE)).toMatchObject({ httponly: true, samesite: 'Lax', path: '/v1/auth/oidc', 'max-age': '600' });
      expect(cookieAttributes(start.setCookies, OIDC_FLOW_COOKIE)).not.toHaveProperty('secure');
      // Nothing of the flow's secrets reaches the browser but the binding cookie.
      expect(start.location).not.toContain(b.cookie(PUBLIC_URL + '/v1/auth/oidc/callback', OIDC_FLOW_COOKIE)!);

      const overHttps = await browser().request(START_URL, { headers: { 'x-forwarded-proto': 'https' } });
      expect(cookieAttributes(overHttps.setCookies, OIDC_FLOW_COOKIE)).toHaveProperty('secure', true);
    });

    it('signs a new person in: account created, refresh cookie set, refresh gives a working access token', async () => {
      const person = account();
      const b = browser();
      const callbackUrl = await throughProvider(b, person.id);
      const done = await b.request(callbackUrl);

      expect(done.status).toBe(302);
      expect(done.location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
      // Nothing secret in the URL: the session is the httpOnly refresh cookie.
      const refreshCookie = b.cookie(`${PUBLIC_URL}/v1/auth/refresh`, REFRESH_COOKIE);
      expect(refreshCookie).toBeTruthy();
      expect(cookieAttributes(done.setCookies, REFRESH_COOKIE)).toMatchObject({ httponly: true, samesite: 'Strict', path: '/v1/auth' });
      expect(done.setCookies.join('\n')).not.toMatch(/accessToken|eyJ/);
      expect(b.cookie(callbackUrl, OIDC_FLOW_COOKIE)).toBeUndefined();

      const identity = await identityOf(person.id);
      expect(identity).toMatchObject({ email: person.email });
      const user = await server.app.services.db.selectFrom('users').selectAll().where('id', '=', identity!.user_id).executeTakeFirstOrThrow();
      expect(user.email).toBe(person.email);
      expect(await sessionCount(user.id)).toBe(1);

      // This provider keeps scope claims out of the ID token (OIDC Core 5.4): Tally asked userinfo.
      expect(idp.requests).toContain('/me');

      const session = await signedInAs(b);
      expect(session.user).toMatchObject({ id: user.id, email: person.email });
      const audited = await server.app.services.db.selectFrom('audit_events').select(['action', 'details']).where('target', '=', `user:${user.id}`).orderBy('id').execute();
      expect(audited.map((e) => e.action).slice(0, 2)).toEqual(['auth.signup', 'auth.login']);
      expect(audited[1]!.details).toMatchObject({ method: 'oidc', issuer: idp.issuer, subject: person.id, outcome: 'created' });

      // A returning person is found by subject, even when the provider's email changed since.
      idp.accounts.set(person.id, { email: `renamed-${person.email}`, email_verified: true });
      const again = browser();
      const second = await again.request(await throughProvider(again, person.id));
      expect(second.location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
      expect((await signedInAs(again)).user.id).toBe(user.id);
      expect(await sessionCount(user.id)).toBe(2);
    });

    it('links to the existing password account with the same verified email', async () => {
      const existing = await signUp(server.baseUrl, 'oidc-link');
      // Providers may not keep the case the person signed up with.
      const person = account({ email: existing.email.toUpperCase() });
      const b = browser();
      const done = await b.request(await throughProvider(b, person.id));
      expect(done.location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
      expect((await identityOf(person.id))?.user_id).toBe(existing.userId);
      const session = await signedInAs(b);
      expect(session.user).toEqual({ id: existing.userId, email: existing.email, role: expect.any(String), displayName: null });
      // The password still works too: linking added a way in, it took none away.
      expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: existing.email, password: 'correct horse battery staple' } })).status).toBe(200);
    });

    it('refuses an unverified email that matches an account, and never links it', async () => {
      const victim = await signUp(server.baseUrl, 'oidc-victim');
      const attacker = account({ email: victim.email, verified: false });
      const b = browser();
      const done = await b.request(await throughProvider(b, attacker.id));
      expect(errorOf(done)).toBe('AUTH_OIDC_EMAIL_UNVERIFIED');
      expect(b.cookie(`${PUBLIC_URL}/v1/auth/refresh`, REFRESH_COOKIE)).toBeUndefined();
      expect(await identityOf(attacker.id)).toBeUndefined();
      expect(await sessionCount(victim.userId)).toBe(1);
      const failures = await server.app.services.db.selectFrom('audit_events').select('details').where('action', '=', 'auth.login_failed').execute();
      expect(failures.map((f) => f.details)).toContainEqual({ method: 'oidc', issuer: idp.issuer, code: 'AUTH_OIDC_EMAIL_UNVERIFIED' });
    });

    it('refuses a disabled account, returning or to be linked', async () => {
      const person = account();
      const b = browser();
      expect((await b.request(await throughProvider(b, person.id))).location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
      const userId = (await identityOf(person.id))!.user_id;
      await server.app.services.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', userId).execute();
      const again = browser();
      expect(errorOf(await again.request(await throughProvider(again, person.id)))).toBe('AUTH_ACCOUNT_DISABLED');
      expect(await sessionCount(userId)).toBe(1);

      const disabled = await signUp(server.baseUrl, 'oidc-disabled');
      await server.app.services.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', disabled.userId).execute();
      const other = account({ email: disabled.email });
      const b2 = browser();
      expect(errorOf(await b2.request(await throughProvider(b2, other.id)))).toBe('AUTH_ACCOUNT_DISABLED');
      expect(await identityOf(other.id)).toBeUndefined();
    });

    it('takes only a boolean true as verified, not the string "true"', async () => {
      const person = account({ verified: 'true' });
      const b = browser();
      expect(errorOf(await b.request(await throughProvider(b, person.id)))).toBe('AUTH_OIDC_EMAIL_UNVERIFIED');
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it('creates no account for an unverified email either', async () => {
      const person = account({ verified: false });
      const b = browser();
      expect(errorOf(await b.request(await throughProvider(b, person.id)))).toBe('AUTH_OIDC_EMAIL_UNVERIFIED');
      const user = await server.app.services.db.selectFrom('users').select('id').where('email', '=', person.email).executeTakeFirst();
      expect(user).toBeUndefined();
    });

    it("never signs anyone in as Tally's reserved system owner", async () => {
      const impostor = account({ email: SYSTEM_USER_EMAIL });
      const b = browser();
      expect(errorOf(await b.request(await throughProvider(b, impostor.id)))).toMatch(/^AUTH_OIDC_/);
      expect(await identityOf(impostor.id)).toBeUndefined();
      expect(await sessionCount(SYSTEM_USER_ID)).toBe(0);
    });

    it('refuses a wrong state', async () => {
      const person = account();
      const b = browser();
      const callbackUrl = new URL(await throughProvider(b, person.id));
      callbackUrl.searchParams.set('state', 'x'.repeat(43));
      expect(errorOf(await b.request(callbackUrl.href))).toBe('AUTH_OIDC_STATE_INVALID');
      const missing = new URL(callbackUrl);
      missing.searchParams.delete('state');
      expect(errorOf(await b.request(missing.href))).toBe('AUTH_OIDC_STATE_INVALID');
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it('refuses a state replayed after its sign-in', async () => {
      const person = account();
      const b = browser();
      const callbackUrl = await throughProvider(b, person.id);
      expect((await b.request(callbackUrl)).location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
      const userId = (await identityOf(person.id))!.user_id;

      // Another browser, and the same one again: neither gets a second session.
      const replay = browser();
      expect(errorOf(await replay.request(callbackUrl))).toBe('AUTH_OIDC_STATE_INVALID');
      expect(errorOf(await b.request(callbackUrl))).toBe('AUTH_OIDC_STATE_INVALID');
      expect(await sessionCount(userId)).toBe(1);
    });

    it('refuses a state from another browser, and burns it', async () => {
      const person = account();
      const victimBrowser = browser();
      const callbackUrl = await throughProvider(victimBrowser, person.id);
      // A login-CSRF: the callback link opened in a browser that did not start this flow (it
      // started its own, so it holds a binding cookie, just not this flow's).
      const other = browser();
      expect((await other.request(START_URL)).status).toBe(302);
      const refused = await other.request(callbackUrl);
      expect(errorOf(refused)).toBe('AUTH_OIDC_STATE_INVALID');
      expect(other.cookie(`${PUBLIC_URL}/v1/auth/refresh`, REFRESH_COOKIE)).toBeUndefined();
      // Single use: the state is gone even for the browser it belonged to.
      expect(errorOf(await victimBrowser.request(callbackUrl))).toBe('AUTH_OIDC_STATE_INVALID');
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it('refuses an ID token issued for another nonce', async () => {
      const person = account();
      const b = browser();
      // The provider is asked for a different nonce than the one Tally keeps for this state.
      const callbackUrl = await throughProvider(b, person.id, (url) => url.searchParams.set('nonce', 'n'.repeat(43)));
      const issuedBefore = idp.tokensIssued();
      expect(errorOf(await b.request(callbackUrl))).toBe('AUTH_OIDC_FAILED');
      // The code was good and the provider issued tokens: Tally refused the ID token itself.
      expect(idp.tokensIssued()).toBe(issuedBefore + 1);
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it('refuses an expired code', async () => {
      const person = account();
      const b = browser();
      idp.codeTtlSeconds = 1;
      let callbackUrl: string;
      try {
        callbackUrl = await throughProvider(b, person.id);
      } finally {
        idp.codeTtlSeconds = 60;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const refusedBefore = idp.grantErrors.length;
      expect(errorOf(await b.request(callbackUrl))).toBe('AUTH_OIDC_FAILED');
      // Refused by the provider's token endpoint, for the code's age.
      expect(idp.grantErrors.slice(refusedBefore)).toEqual([expect.stringMatching(/expired/)]);
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it("refuses another flow's code under a valid state (PKCE binds the code to its start)", async () => {
      const person = account();
      const b = browser();
      const first = new URL(await throughProvider(b, person.id));
      // The second start replaces the binding cookie; its state is the live one.
      const second = new URL(await throughProvider(b, person.id));
      const injected = new URL(second);
      injected.searchParams.set('code', first.searchParams.get('code')!);
      const refusedBefore = idp.grantErrors.length;
      expect(errorOf(await b.request(injected.href))).toBe('AUTH_OIDC_FAILED');
      expect(idp.grantErrors.slice(refusedBefore)).toEqual([expect.stringMatching(/PKCE/)]);
      expect(await identityOf(person.id)).toBeUndefined();
    });

    it('refuses the error a provider returns (consent denied) without a session', async () => {
      const b = browser();
      const start = await b.request(START_URL);
      const state = new URL(start.location!).searchParams.get('state')!;
      const denied = `${CALLBACK_URL}?error=access_denied&state=${state}&iss=${encodeURIComponent(idp.issuer)}`;
      expect(errorOf(await b.request(denied))).toBe('AUTH_OIDC_FAILED');
    });

    it('reads the email from the ID token when the provider puts it there, without asking userinfo; on a published server the first account is no admin', async () => {
      const generous = await startOidcTestProvider({ redirectUri: CALLBACK_URL, claimsInIdToken: true });
      const app = await startOidcApp(engine, generous);
      try {
        const id = `generous-${Date.now()}`;
        generous.accounts.set(id, { email: `${id}@example.com`, email_verified: true });
        const b = new FakeBrowser({ [PUBLIC_URL]: app.baseUrl });
        const start = await b.request(START_URL);
        const callbackUrl = await b.follow(start.location!, (u) => u.origin === PUBLIC_URL, (u) =>
          u.pathname.startsWith('/interaction/') ? { [generous.loginHeader]: id } : {},
        );
        expect((await b.request(callbackUrl)).location).toBe(`${PUBLIC_URL}/#/oidc-complete`);
        expect(generous.requests).toContain('/token');
        expect(generous.requests).not.toContain('/me');
        expect(b.cookie(`${PUBLIC_URL}/v1/auth/refresh`, REFRESH_COOKIE)).toBeTruthy();
        // A server others reach gives its admin only to whoever has the setup token from its log,
        // which a provider's sign-in does not carry: the first account made here is a member.
        const user = await app.app.services.db.selectFrom('users').select('role').where('email', '=', `${id}@example.com`).executeTakeFirstOrThrow();
        expect(user.role).toBe('member');
      } finally {
        await app.close();
        await generous.close();
      }
    });

    it('fails closed when the provider goes down mid-flow', async () => {
      const downIdp = await startOidcTestProvider({ redirectUri: CALLBACK_URL });
      const app = await startOidcApp(engine, downIdp);
      try {
        const id = `down-${Date.now()}`;
        downIdp.accounts.set(id, { email: `${id}@example.com`, email_verified: true });
        const b = new FakeBrowser({ [PUBLIC_URL]: app.baseUrl });
        const start = await b.request(START_URL);
        const callbackUrl = await b.follow(start.location!, (u) => u.origin === PUBLIC_URL, (u) =>
          u.pathname.startsWith('/interaction/') ? { [downIdp.loginHeader]: id } : {},
        );
        await downIdp.close();
        expect(errorOf(await b.request(callbackUrl))).toBe('AUTH_OIDC_UNAVAILABLE');
        expect(b.cookie(`${PUBLIC_URL}/v1/auth/refresh`, REFRESH_COOKIE)).toBeUndefined();
        const users = await app.app.services.db.selectFrom('users').select('id').where('email', '=', `${id}@example.com`).execute();
        expect(users).toHaveLength(0);
        // A new start (the provider's metadata is known) leads only to the provider, which is down.
        const again = await b.request(START_URL);
        expect(new URL(again.location!).origin).toBe(downIdp.issuer);
        expect(again.setCookies.join()).not.toContain(REFRESH_COOKIE);
      } finally {
        await app.close();
      }
    });
  });

  describe.skipIf(engine.skipReason !== null)(`OpenID Connect unreachable or off on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    it('with an unreachable issuer: enabled, but every start and callback is refused', async () => {
      const idp = await startOidcTestProvider({ redirectUri: CALLBACK_URL });
      const issuer = idp.issuer;
      await idp.close();
      const app = await startTestApp({
        engine,
        env: { TALLY_PUBLIC_URL: PUBLIC_URL, TALLY_OIDC_ISSUER: issuer, TALLY_OIDC_CLIENT_ID: 'tally', TALLY_OIDC_CLIENT_SECRET: 'secret' },
      });
      try {
        const b = new FakeBrowser({ [PUBLIC_URL]: app.baseUrl });
        expect((await rest(app.baseUrl, 'GET', '/v1/auth/oidc/config')).body).toEqual({ enabled: true, issuer });
        const start = await b.request(START_URL);
        expect(errorOf(start)).toBe('AUTH_OIDC_UNAVAILABLE');
        expect(start.setCookies.join()).not.toContain(OIDC_FLOW_COOKIE);
        expect(errorOf(await b.request(`${CALLBACK_URL}?code=forged&state=forged`))).toBe('AUTH_OIDC_STATE_INVALID');
      } finally {
        await app.close();
      }
    });

    it('when not configured: disabled, and both routes say so', async () => {
      const app = await startTestApp({ engine });
      try {
        expect((await rest(app.baseUrl, 'GET', '/v1/auth/oidc/config')).body).toEqual({ enabled: false });
        const b = new FakeBrowser();
        expect(errorOf(await b.request(`${app.baseUrl}/v1/auth/oidc/start`))).toBe('AUTH_OIDC_DISABLED');
        expect(errorOf(await b.request(`${app.baseUrl}/v1/auth/oidc/callback?code=c&state=s`))).toBe('AUTH_OIDC_DISABLED');
      } finally {
        await app.close();
      }
    });
  });
}

function startOidcApp(engine: EngineSetup, idp: OidcTestProvider): Promise<TestApp> {
  return startTestApp({
    engine,
    env: {
      TALLY_PUBLIC_URL: PUBLIC_URL,
      // The fake browser also plays the TLS-terminating proxy in front (X-Forwarded-Proto).
      TALLY_TRUST_PROXY: '127.0.0.1',
      TALLY_OIDC_ISSUER: idp.issuer,
      TALLY_OIDC_CLIENT_ID: idp.clientId,
      TALLY_OIDC_CLIENT_SECRET: idp.clientSecret,
    },
  });
}

/** The error code a refused sign-in carries back to the web app, or null on success. */
function errorOf(response: FakeBrowserResponse): string | null {
  expect(response.status).toBe(302);
  const location = new URL(response.location!);
  expect(location.pathname).toBe('/');
  expect(location.hash.startsWith('#/oidc-complete')).toBe(true);
  const query = location.hash.split('?')[1] ?? '';
  // The web app gets a code and nothing else.
  expect([...new URLSearchParams(query).keys()].filter((k) => k !== 'error')).toEqual([]);
  return new URLSearchParams(query).get('error');
}
