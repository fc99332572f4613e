import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATION_MAILS_PER_HOUR } from '../../src/workspaces/invitation-mailer.js';
import { parseMembershipChange, WORKSPACE_MEMBERSHIP_CHANNEL, type MembershipChange } from '../../src/workspaces/membership-changes.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Invitations by email, against a real SMTP peer written here (smtp-server): with TALLY_SMTP_URL
 * set, an invitation to an address is mailed (the inviter is not shown its link), only that
 * address's account can accept it, once; when the mail cannot be sent the inviter gets the link
 * instead. Then the member's removal goes out on the bus and into the workspace's audit log.
 */
interface Mail {
  to: string[];
  data: string;
}

/** The mail's text as written (nodemailer sends long lines quoted-printable). */
const quotedPrintable = (data: string) => data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;

describe('workspace invitations by email', () => {
  const mails: Mail[] = [];
  let smtp: SMTPServer;
  let server: TestApp;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let invitee: Awaited<ReturnType<typeof signUp>>;
  let stranger: Awaited<ReturnType<typeof signUp>>;
  let workspaceId: string;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let data = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (data += chunk));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    server = await startTestApp({ engine, env: { TALLY_SMTP_URL: `smtp://127.0.0.1:${port}`, TALLY_SMTP_FROM: 'Tally <tally@test.invalid>', TALLY_PUBLIC_URL: 'http://localhost:4321' } });
    owner = await signUp(server.baseUrl, 'mail-owner');
    invitee = await signUp(server.baseUrl, 'mail-invitee');
    stranger = await signUp(server.baseUrl, 'mail-stranger');
    workspaceId = (await rest<{ id: string }>(server.baseUrl, 'POST', '/v1/workspaces', { token: owner.token, json: { name: 'Finance "FinOps" team' } })).body.id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it('mails the link to the address; only that account accepts it, once', async () => {
    const created = await rest<{ emailed: boolean; token: string | null; link: string | null; invitation: { email: string; status: string } }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, {
      token: owner.token,
      json: { role: 'member', email: invitee.email.toUpperCase() },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ emailed: true, token: null, link: null, invitation: { email: invitee.email, status: 'pending' } });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual([invitee.email]);
    expect(mails[0]!.data).toMatch(/^From: Tally <tally@test\.invalid>/m);
    expect(mails[0]!.data).toMatch(/^Subject: .*Finance/m);
    const token = /http:\/\/localhost:4321\/join#invitation=(twi_[A-Za-z0-9_-]+)/.exec(quotedPrintable(mails[0]!.data))?.[1];
    expect(token).toBeDefined();

    const wrong = await rest<{ error: { code: string } }>(server.baseUrl, 'POST', '/v1/workspaces/invitations/accept', { token: stranger.token, json: { token } });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'WORKSPACE_INVITATION_WRONG_EMAIL']);
    const joined = await rest<{ id: string; role: string }>(server.baseUrl, 'POST', '/v1/workspaces/invitations/accept', { token: invitee.token, json: { token } });
    expect(joined).toMatchObject({ status: 200, body: { id: workspaceId, role: 'member' } });
    const again = await rest<{ error: { code: string } }>(server.baseUrl, 'POST', '/v1/workspaces/invitations/accept', { token: invitee.token, json: { token } });
    expect([again.status, again.body.error.code]).toEqual([410, 'WORKSPACE_INVITATION_INVALID']);
  });

  it('shows the link to the inviter when no address is given, or when the mail cannot go', async () => {
    const linkOnly = await rest<{ emailed: boolean; link: string }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token, json: { role: 'viewer' } });
    expect(linkOnly.body).toMatchObject({ emailed: false, link: expect.stringMatching(/^http:\/\/localhost:4321\/join#invitation=twi_/) });
    const before = mails.length;
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    const unsent = await rest<{ emailed: boolean; link: string; token: string }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, {
      token: owner.token,
      json: { role: 'viewer', email: stranger.email, expiresInHours: 2 },
    });
    expect(unsent.status).toBe(201);
    expect(unsent.body).toMatchObject({ emailed: false, link: expect.stringContaining(unsent.body.token) });
    expect(mails).toHaveLength(before);
  });

  it('announces the removal on the bus and keeps the story in the workspace\'s audit log, for its admins only', async () => {
    const heard: MembershipChange[] = [];
    const unsubscribe = await server.app.services.bus.subscribe(WORKSPACE_MEMBERSHIP_CHANNEL, (raw) => heard.push(parseMembershipChange(raw)!));
    try {
      expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${workspaceId}/members/${invitee.userId}`, { token: owner.token })).status).toBe(204);
      for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toEqual([{ type: 'workspace_access_reduced', workspaceId, userId: invitee.userId, role: null }]);
    } finally {
      await unsubscribe();
    }
    const log = await rest<{ events: Array<{ action: string; details: Record<string, unknown> }> }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/audit`, { token: owner.token });
    expect(log.body.events.map((e) => e.action).reverse()).toEqual([
      'workspace.created',
      'workspace.invitation_created',
      'workspace.invitation_accepted',
      'workspace.invitation_created',
      'workspace.invitation_created',
      'workspace.member_removed',
    ]);
    expect(JSON.stringify(log.body)).not.toMatch(/twi_/);
    // The removed member no longer reads it, nor anything of the workspace.
    const gone = await rest<{ error: { code: string } }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/audit`, { token: invitee.token });
    expect([gone.status, gone.body.error.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
  });

  it('mails at most INVITATION_MAILS_PER_HOUR invitations an hour for one person, and stores nothing past it', async () => {
    // Two mailed invitations were asked for above (one sent, one that could not go).
    for (let i = 2; i < INVITATION_MAILS_PER_HOUR; i++) {
      const ok = await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token, json: { role: 'viewer', email: `bulk-${i}@example.com` } });
      expect(ok.status).toBe(201);
    }
    const countBefore = (await rest<{ invitations: unknown[] }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token })).body.invitations.length;
    const refused = await rest<{ error: { code: string } }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token, json: { role: 'viewer', email: 'one-too-many@example.com' } });
    expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect((await rest<{ invitations: unknown[] }>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token })).body.invitations).toHaveLength(countBefore);
    // A link to pass on by hand sends nothing, and is not counted.
    expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { token: owner.token, json: { role: 'viewer' } })).status).toBe(201);
  });
});
