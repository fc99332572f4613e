import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Live usage (issue 18): a workspace's usage stored by an OTLP export or an upload reaches its
 * members' open sockets as `usage_changed`, on every engine (over Redis between nodes' buses on
 * postgres+redis). Membership is read when the change is announced: an outsider and a member
 * removed a moment ago hear nothing; a socket opened with a key hears only its key's workspace.
 */
const WINDOW_MS = 1_000;
const isUsageChanged = (workspaceId: string, source: string) => (f: Record<string, unknown>) => f['type'] === 'usage_changed' && f['workspaceId'] === workspaceId && f['source'] === source;

/** One GenAI span as OTLP/JSON, unique each call (a new response id). */
function spanBody(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'live-test')] },
        scopeSpans: [
          {
            scope: { name: 'genai' },
            spans: [
              {
                traceId: crypto.randomBytes(16).toString('hex'),
                spanId: crypto.randomBytes(8).toString('hex'),
                name: 'chat gpt-4.1',
                kind: 3,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 900_000_000n),
                attributes: [
                  str('gen_ai.operation.name', 'chat'),
                  str('gen_ai.provider.name', 'openai'),
                  str('gen_ai.request.model', 'gpt-4.1'),
                  str('gen_ai.response.id', `resp_${crypto.randomUUID()}`),
                  int('gen_ai.usage.input_tokens', 1200),
                  int('gen_ai.usage.output_tokens', 80),
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason)(`usage_changed pushed to members on ${engine.name}`, () => {
    let server: TestApp;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let member: Awaited<ReturnType<typeof signUp>>;
    let outsider: Awaited<ReturnType<typeof signUp>>;
    let team: string;
    let key: string;
    const sockets: TestSocket[] = [];
    const open = async (credential: string) => {
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, credential) });
      sockets.push(socket);
      // A command round trip: the socket's channels are joined once it is answered.
      await socket.command('ping');
      return socket;
    };
    const exportSpan = async () => {
      const response = await fetch(`${server.baseUrl}/v1/otlp/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: spanBody() });
      expect(response.status).toBe(200);
    };

    beforeAll(async () => {
      server = await startTestApp({ engine });
      [owner, member, outsider] = await Promise.all([signUp(server.baseUrl, 'owner'), signUp(server.baseUrl, 'member'), signUp(server.baseUrl, 'outsider')]);
      team = await createTeamWorkspace(server.baseUrl, owner, 'live usage');
      await joinWorkspace(server.baseUrl, owner, team, member, 'viewer');
      const created = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${team}/api-keys`, { token: owner.token, json: { name: 'exporter', scopes: ['usage:write', 'full'] } });
      expect(created.status).toBe(201);
      key = created.body.key;
    }, 60_000);

    afterAll(async () => {
      for (const socket of sockets) socket.close();
      await server?.close();
    });

    it('tells the members of the workspace an export added to, and nobody else', async () => {
      const [ownerSocket, memberSocket, outsiderSocket] = await Promise.all([open(owner.token), open(member.token), open(outsider.token)]);
      await exportSpan();
      const frame = await ownerSocket.waitFor(isUsageChanged(team, 'otlp'));
      expect(frame).toMatchObject({ v: 1, type: 'usage_changed', workspaceId: team, source: 'otlp' });
      expect(Number.isNaN(Date.parse(String(frame['at'])))).toBe(false);
      await memberSocket.waitFor(isUsageChanged(team, 'otlp'));
      // The outsider's socket got the owner's frame's moment and more: nothing about the team.
      await outsiderSocket.command('ping');
      expect(outsiderSocket.frames.filter((f) => f['type'] === 'usage_changed')).toEqual([]);
    });

    it("keeps a key's socket to the key's workspace: the maker's personal upload is not told to it", async () => {
      const keySocket = await open(key);
      const ownerSocket = await open(owner.token);
      const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${owner.userId}/usage`, {
        token: owner.token,
        body: JSON.stringify({ ts: new Date().toISOString(), provider: 'openai', model: 'gpt-4.1', inputTokens: 10, outputTokens: 5 }) + '\n',
      });
      expect(upload.status).toBe(200);
      await ownerSocket.waitFor(isUsageChanged(owner.userId, 'upload'));
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 200));
      await exportSpan();
      await keySocket.waitFor(isUsageChanged(team, 'otlp'));
      expect(keySocket.frames.filter((f) => f['type'] === 'usage_changed' && f['workspaceId'] !== team)).toEqual([]);
    });

    it('tells a removed member nothing of the workspace from then on', async () => {
      const memberSocket = await open(member.token);
      const ownerSocket = await open(owner.token);
      expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${team}/members/${member.userId}`, { token: owner.token })).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 200));
      await exportSpan();
      await ownerSocket.waitFor(isUsageChanged(team, 'otlp'));
      await memberSocket.command('ping');
      expect(memberSocket.frames.filter((f) => f['type'] === 'usage_changed')).toEqual([]);
    });
  });
}
