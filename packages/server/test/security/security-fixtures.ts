import type { AuditEvent } from '@tally/protocol';
import { rest } from '../support/rest.js';

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
