import type { AuditEvent } from '@tally/protocol';
import { createFirstAdminSetup } from '../../src/auth/first-admin-setup.js';
import { resolveTokenSecret } from '../../src/auth/token-secret.js';
import { rest } from '../support/rest.js';
import type { TestApp } from '../support/test-app.js';

/** The password signUp() uses. */
export const PASSWORD = 'correct horse battery staple';

export function login(baseUrl: string, email: string, password = PASSWORD) {
  return rest<{ accessToken: string; refreshToken: string; user: { id: string; role: string } }>(baseUrl, 'POST', '/v1/auth/login', {
    json: { email, password },
  });
}

/** The audit log, newest first, as an admin reads it. */
export async function auditEvents(baseUrl: string, adminToken: string, limit = 500): Promise<AuditEvent[]> {
  const res = await rest<{ events: AuditEvent[] }>(baseUrl, 'GET', `/v1/admin/audit?limit=${limit}`, { token: adminToken });
  if (res.status !== 200) throw new Error(`audit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.events;
}

/**
 * Waits (at most `timeoutMs`) for an audit event matching `match`: events the auth code reports
 * are written as it answers, not necessarily before.
 */
export async function waitForAudit(baseUrl: string, adminToken: string, match: (e: AuditEvent) => boolean, timeoutMs = 5_000): Promise<AuditEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await auditEvents(baseUrl, adminToken)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such audit event within the timeout');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Signs up the first account (the admin) of a server others can reach, with the setup token it
 * prints in its log (derived from its token secret, as the server derives it).
 */
export async function claimFirstAdmin(server: TestApp): Promise<{ token: string; userId: string; email: string }> {
  const secret = await resolveTokenSecret(server.app.services.db, undefined);
  const setupToken = createFirstAdminSetup({ secret, required: true }).token!;
  const email = `first-admin-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const res = await rest<{ accessToken: string; user: { id: string; role: string } }>(server.baseUrl, 'POST', '/v1/auth/signup', { json: { email, password: PASSWORD, setupToken } });
  if (res.status !== 201 || res.body.user.role !== 'admin') throw new Error(`claiming the first admin failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.accessToken, userId: res.body.user.id, email };
}
