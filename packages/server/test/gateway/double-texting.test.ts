import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/** A message to a thread whose run is still going, under each policy. */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`double-texting on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;

    beforeAll(async () => {
      llm = await startFakeLlm((request) =>
        request.body['stream'] === true
          ? { stream: Array.from({ length: 30 }, (_, i) => `w${i} `), chunkDelayMs: 30 }
          : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
      );
      server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    async function busyThread(label: string): Promise<{ socket: TestSocket; runId: string; threadId: string }> {
      const user = await signUp(server.baseUrl, label);
      // With data, the run goes through the LLM's slow answer, so it is still going below.
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 8, days: 2, requestsPerDay: 30 }) });
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const { runId, threadId } = (await socket.command('send_message', { text: 'First question' }))['data'] as { runId: string; threadId: string };
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'agent_started');
      return { socket, runId, threadId };
    }
    const indexOf = (socket: TestSocket, predicate: (f: Record<string, unknown>) => boolean) => socket.frames.findIndex(predicate);

    it('rejects by default with THREAD_BUSY, naming the run in progress', async () => {
      const { socket, runId, threadId } = await busyThread('reject');
      expect(await socket.command('send_message', { threadId, text: 'Second' })).toMatchObject({ type: 'error', code: 'THREAD_BUSY' });
      expect(await socket.command('send_message', { threadId, text: 'Second', onBusy: 'reject' })).toMatchObject({ type: 'error', code: 'THREAD_BUSY' });
      expect((await socket.waitForTerminal(runId)).type).toBe('run_completed');
      socket.close();
    });

    it('queues after the current run with onBusy "queue"', async () => {
      const { socket, runId, threadId } = await busyThread('queue');
      const ack = await socket.command('send_message', { threadId, text: 'Second', onBusy: 'queue' });
      const second = (ack['data'] as { runId: string }).runId;
      await socket.waitForTerminal(second, 30_000);
      expect((await socket.waitForTerminal(runId)).type).toBe('run_completed');
      expectCompleteRun(socket.eventsOf(second), { runId: second, threadId });
      // The second run's work starts only after the first run ended.
      const firstEnd = indexOf(socket, (f) => f['runId'] === runId && isTerminalEvent(String(f['type'])));
      const secondStart = indexOf(socket, (f) => f['runId'] === second && f['type'] === 'agent_started');
      expect(secondStart).toBeGreaterThan(firstEnd);
      socket.close();
    });

    it('stops the current run first with onBusy "interrupt"', async () => {
      const { socket, runId, threadId } = await busyThread('interrupt');
      const ack = await socket.command('send_message', { threadId, text: 'Never mind, this instead', onBusy: 'interrupt' });
      const second = (ack['data'] as { runId: string }).runId;
      expect((await socket.waitForTerminal(runId)).type).toBe('run_cancelled');
      expect((await socket.waitForTerminal(second, 30_000)).type).toBe('run_completed');
      expectCompleteRun(socket.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
      expectCompleteRun(socket.eventsOf(second), { runId: second, threadId });
      socket.close();
    });
  });
}
