import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`another user's resources on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine });
    });
    afterAll(async () => server?.close());

    it('answer "not found" to user B, over REST and WebSocket, and B cannot stop A\'s run', async () => {
      const a = await signUp(server.baseUrl, 'owner-a');
      const b = await signUp(server.baseUrl, 'intruder-b');
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${a.userId}/usage`, { token: a.token, body: usageNdjson({ seed: 1, days: 3, requestsPerDay: 30 }) });

      const sa = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, a.token), workspaceId: a.userId });
      const sb = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, b.token), workspaceId: b.userId });
      const ack = await sa.command('send_message', { text: 'Where is my AI money going?' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };

      // B tries to stop and to watch A's run while it is live.
      expect(await sb.command('stop_run', { runId })).toMatchObject({ type: 'error', code: 'RUN_NOT_FOUND' });
      expect(await sb.command('subscribe', { runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'RUN_NOT_FOUND' });
      expect(await sb.command('send_message', { threadId, text: 'let me in' })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
      // Naming A's workspace does not help: B is no member there.
      expect(await sb.command('subscribe', { workspaceId: a.userId, runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });
      expect(await sb.command('stop_run', { workspaceId: a.userId, runId })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });

      const terminal = await sa.waitForTerminal(runId);
      expect(terminal.type).toBe('run_completed');
      expect(sb.frames.filter((f) => 'runId' in f && f['type'] !== 'ack')).toEqual([]);

      const checks: Array<[string, string]> = [
        [`threads/${threadId}`, 'THREAD_NOT_FOUND'],
        [`threads/${threadId}/messages`, 'THREAD_NOT_FOUND'],
        [`runs/${runId}`, 'RUN_NOT_FOUND'],
        [`runs/${runId}/events?afterSeq=0`, 'RUN_NOT_FOUND'],
      ];
      for (const [path, code] of checks) {
        // In B's own workspace A's ids are unknown; A's workspace is unknown to B.
        const res = await rest(server.baseUrl, 'GET', `/v1/workspaces/${b.userId}/${path}`, { token: b.token });
        expect(res.status, path).toBe(404);
        expect(res.body, path).toEqual({ error: { code, message: expect.any(String) } });
        expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${a.userId}/${path}`, { token: b.token })).body, path).toMatchObject({ error: { code: 'WORKSPACE_NOT_FOUND' } });
        expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${a.userId}/${path}`, { token: a.token })).status, path).toBe(200);
      }
      expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${b.userId}/runs/${runId}/stop`, { token: b.token })).status).toBe(404);
      const bThreads = await rest<{ threads: unknown[] }>(server.baseUrl, 'GET', `/v1/workspaces/${b.userId}/threads`, { token: b.token });
      expect(bThreads.body.threads).toEqual([]);
      const bUsage = await rest(server.baseUrl, 'GET', `/v1/workspaces/${b.userId}/usage/overview`, { token: b.token });
      expect(bUsage.body).toMatchObject({ records: 0 });
      sa.close();
      sb.close();
    });
  });
}
