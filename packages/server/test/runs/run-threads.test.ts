import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

/**
 * Runs on run threads (TALLY_RUN_THREADS=2): the pipelines run in worker threads with their own
 * connections, the sockets stay on the main thread. Over PostgreSQL with the in-process bus
 * (stretched over the threads) and with Redis (a bus per thread).
 */
const postgres = engineSetups().find((e) => e.name === 'postgres+redis')!;

for (const bus of ['in-process', 'redis'] as const) {
  describe.skipIf(postgres.skipReason !== null)(`runs on run threads, ${bus} bus ${postgres.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let mode: 'slow' | 'hang' = 'slow';
    const env = () => ({ TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_RUN_THREADS: '2' });

    beforeAll(async () => {
      llm = await startFakeLlm((request) => {
        if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
        if (mode === 'hang') return { stream: ['Thinking', ' about it'], hang: true };
        return { stream: Array.from({ length: 30 }, (_, i) => `word${i} `), chunkDelayMs: 10 };
      });
      server = await startTestApp({ engine: postgres, withoutRedis: bus === 'in-process', env: env() });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    async function userWithUsage(label: string, seed: number) {
      const user = await signUp(server.baseUrl, label);
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed, days: 2, requestsPerDay: 20 }) });
      return user;
    }

    it('concurrent runs of two people stream whole, in order, each to its owner only, as the log has them', async () => {
      mode = 'slow';
      const people = await Promise.all([userWithUsage('threads-a', 11), userWithUsage('threads-b', 12)]);
      const sockets = await Promise.all(people.map(async (p) => openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, p.token), workspaceId: p.userId })));
      const started = await Promise.all(
        // Three each: the default limit of runs in flight per person.
        Array.from({ length: 6 }, async (_, i) => {
          const socket = sockets[i % 2]!;
          const ack = await socket.command('send_message', { text: `Where is my AI money going? (${i})` });
          expect(ack['type']).toBe('ack');
          return { socket, owner: i % 2, ...(ack['data'] as { runId: string; threadId: string }) };
        }),
      );
      for (const { socket, runId, threadId, owner } of started) {
        await socket.waitForTerminal(runId);
        const events = socket.eventsOf(runId);
        expectCompleteRun(events, { runId, threadId });
        expect(streamedText(events).startsWith(Array.from({ length: 30 }, (_, i) => `word${i} `).join(''))).toBe(true);
        const logged = await rest<{ events: RunEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${people[owner]!.userId}/runs/${runId}/events`, { token: people[owner]!.token });
        expect(events).toEqual(logged.body.events);
        // Nothing of this run reached the other person's socket.
        expect(sockets[1 - owner]!.frames.some((f) => f['runId'] === runId)).toBe(false);
      }
      await expect.poll(() => server.app.services.worker.active, { timeout: 3_000 }).toBe(0);
      for (const socket of sockets) socket.close();
    });

    it('stop_run on the main thread aborts the run on its thread: the LLM request is cancelled, the run ends cancelled', async () => {
      mode = 'hang';
      const user = await userWithUsage('threads-stop', 13);
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta');
      await expect.poll(() => server.app.services.worker.active, { timeout: 3_000 }).toBe(1);
      const abortedBefore = llm.abortedRequests;
      expect(await socket.command('stop_run', { runId })).toMatchObject({ type: 'ack' });
      expect((await socket.waitForTerminal(runId, 5_000)).type).toBe('run_cancelled');
      expectCompleteRun(socket.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
      await expect.poll(() => llm.abortedRequests, { timeout: 3_000 }).toBeGreaterThan(abortedBefore);
      socket.close();
    });

    it('a node that shuts down hands its threads’ runs back, and another node finishes them', async () => {
      mode = 'hang';
      const user = await userWithUsage('threads-handback', 14);
      const leaving = await startTestApp({ engine: postgres, withoutRedis: bus === 'in-process', env: env(), shareWith: server });
      // Only the leaving node runs work until it is gone.
      await server.app.services.worker.stop();
      const socket = await openTestSocket(leaving.wsUrl, { ticket: await ticketFor(leaving.baseUrl, user.token), workspaceId: user.userId });
      const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
      const { runId } = ack['data'] as { runId: string };
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta');
      await leaving.close();
      const afterClose = await rest<{ status: string }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token });
      expect(afterClose.body.status).toBe('queued');

      mode = 'slow';
      const taker = await startTestApp({ engine: postgres, withoutRedis: bus === 'in-process', env: env(), shareWith: server });
      try {
        await expect.poll(async () => (await rest<{ status: string }>(taker.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token })).body.status, { timeout: 10_000 }).toBe('completed');
      } finally {
        await taker.close();
      }
    });
  });
}
