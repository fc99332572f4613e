import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`reconnect and stop on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let mode: 'slow' | 'hang' = 'slow';

    beforeAll(async () => {
      llm = await startFakeLlm((request) => {
        if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
        if (mode === 'hang') return { stream: ['Thinking', ' about it'], hang: true };
        return { stream: Array.from({ length: 40 }, (_, i) => `word${i} `), chunkDelayMs: 40 };
      });
      server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    it('a client that drops mid-run and resubscribes with its last seq gets the rest exactly once, in order', async () => {
      mode = 'slow';
      const user = await signUp(server.baseUrl, 'reconnect');
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 5, days: 2, requestsPerDay: 30 }) });
      const first = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const ack = await first.command('send_message', { text: 'Where is my AI money going?' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      await first.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta');
      first.ws.terminate();
      const before = first.eventsOf(runId);
      const lastSeq = before.at(-1)!.seq;
      expect(before.some((e) => e.type === 'run_completed')).toBe(false);

      const second = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      expect(await second.command('subscribe', { runId, afterSeq: lastSeq })).toMatchObject({ type: 'ack', data: { status: 'running' } });
      await second.waitForTerminal(runId);
      const after = second.eventsOf(runId);
      expect(after[0]!.seq).toBe(lastSeq + 1);
      expectCompleteRun([...before, ...after], { runId, threadId });
      const logged = await rest<{ events: RunEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}/events`, { token: user.token });
      expect([...before, ...after]).toEqual(logged.body.events);
      second.close();
    });

    it('stop_run aborts the run for real: the LLM request is cancelled and the run ends cancelled', async () => {
      mode = 'hang';
      const user = await signUp(server.baseUrl, 'stopper');
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 6, days: 2, requestsPerDay: 30 }) });
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta');
      const abortedBefore = llm.abortedRequests;
      expect(await socket.command('stop_run', { runId })).toMatchObject({ type: 'ack' });
      const terminal = await socket.waitForTerminal(runId, 5_000);
      expect(terminal.type).toBe('run_cancelled');
      expectCompleteRun(socket.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
      await expect.poll(() => llm.abortedRequests, { timeout: 3_000 }).toBeGreaterThan(abortedBefore);
      const run = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token });
      expect(run.body).toMatchObject({ status: 'cancelled' });
      // The thread is free again.
      mode = 'slow';
      const next = await socket.command('send_message', { threadId, text: 'And now?' });
      expect(next['type']).toBe('ack');
      socket.close();
    });

    it('a send_message resent with the same id after a reconnect returns the same run', async () => {
      mode = 'slow';
      const user = await signUp(server.baseUrl, 'resend');
      const s1 = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const a1 = await s1.command('send_message', { text: 'Hello?' }, 'same-command-id');
      s1.ws.terminate();
      const s2 = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const a2 = await s2.command('send_message', { text: 'Hello?' }, 'same-command-id');
      expect(a2['data']).toEqual(a1['data']);
      const { runId } = a2['data'] as { runId: string };
      await s2.waitForTerminal(runId);
      const threads = await rest<{ threads: unknown[] }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token });
      expect(threads.body.threads).toHaveLength(1);
      s2.close();
    });
  });
}
