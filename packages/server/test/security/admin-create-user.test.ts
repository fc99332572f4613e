import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedUser } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { auditEvents } from './security-fixtures.js';

/**
 * POST /v1/admin/users: an admin makes an account; the person sets their password with the
 * one-time reset token in the answer, and only then can log in. Admins only; a taken or
 * malformed email is refused; the creation is audited under the new user's email.
 */
describe('admin creates a user', () => {
  let server: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let member: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    server = await startTestApp({ engine: engineSetups()[0]! });
    admin = await signUp(server.baseUrl, 'maker'); // the first account: admin
    member = await signUp(server.baseUrl, 'bystander');
  });
  afterAll(async () => server?.close());

  it('makes an account without a usable password, set by the person with the reset token', async () => {
    const email = `Made-${process.pid}@Example.com`;
    const made = await rest<CreatedUser>(server.baseUrl, 'POST', '/v1/admin/users', { token: admin.token, json: { email, role: 'member' } });
    expect(made.status).toBe(201);
    expect(made.body.user).toMatchObject({ email: email.toLowerCase(), role: 'member', disabled: false });
    expect(made.body.reset.resetToken.length).toBeGreaterThan(20);

    const password = 'a fresh passphrase here';
    expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email, password } })).status).toBe(401);
    expect((await rest(server.baseUrl, 'POST', '/v1/auth/reset-password', { json: { token: made.body.reset.resetToken, password } })).status).toBe(200);
    const login = await rest<{ accessToken: string }>(server.baseUrl, 'POST', '/v1/auth/login', { json: { email, password } });
    expect(login.status).toBe(200);
    // A working account, with its own (empty) data.
    expect(await rest(server.baseUrl, 'GET', `/v1/workspaces/${made.body.user.id}/threads`, { token: login.body.accessToken })).toMatchObject({ status: 200, body: { threads: [] } });

    const created = (await auditEvents(server.baseUrl, admin.token)).find((e) => e.action === 'user.created' && e.target === `user:${made.body.user.id}`);
    expect(created).toMatchObject({ actorId: admin.userId, targetLabel: email.toLowerCase(), details: { email: email.toLowerCase(), role: 'member' } });
  });

  it('refuses members, a taken email and a malformed request', async () => {
    expect((await rest(server.baseUrl, 'POST', '/v1/admin/users', { token: member.token, json: { email: 'x@example.com' } })).status).toBe(403);
    expect((await rest(server.baseUrl, 'POST', '/v1/admin/users', { json: { email: 'x@example.com' } })).status).toBe(401);
    expect(await rest(server.baseUrl, 'POST', '/v1/admin/users', { token: admin.token, json: { email: member.email.toUpperCase() } })).toMatchObject({
      status: 409,
      body: { error: { code: 'AUTH_EMAIL_TAKEN' } },
    });
    for (const json of [{ email: 'not an email' }, { email: 'y@example.com', role: 'owner' }, { email: 'z@example.com', password: 'chosen by the admin' }, {}]) {
      expect(await rest(server.baseUrl, 'POST', '/v1/admin/users', { token: admin.token, json }), JSON.stringify(json)).toMatchObject({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED' } },
      });
    }
  });
});
