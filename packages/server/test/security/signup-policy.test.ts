import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { rest } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** With closed sign-up, only the first account signs up, and the answer never depends on the email. */
describe('closed sign-up', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ engine: engineSetups()[0]!, env: { TALLY_SIGNUP: 'closed' } });
  });
  afterAll(async () => server?.close());

  it('lets the first account in, then answers every sign-up the same way', async () => {
    const password = 'correct horse battery staple';
    const first = await rest(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email: 'founder@example.com', password } });
    expect(first).toMatchObject({ status: 201, body: { user: { role: 'admin' } } });
    const taken = await rest(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email: 'founder@example.com', password } });
    const fresh = await rest(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email: 'newcomer@example.com', password } });
    expect(taken).toEqual(fresh);
    expect(fresh).toMatchObject({ status: 403, body: { error: { code: 'AUTH_SIGNUP_CLOSED' } } });
  });
});
