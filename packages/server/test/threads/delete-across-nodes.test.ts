import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRestClient, TallyApiError } from '@tally/client';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/**
 * Two nodes on one PostgreSQL + Redis. Node A runs no worker, so the run is node B's; the thread
 * is deleted through node A. The stop crosses the bus, B's worker ends the run cancelled, and only
 * then is the thread removed: B logs nothing about the run failing.
 */
describe.skipIf(scale.skipReason !== null)(`deleting a thread whose run another node holds ${scale.skipReason ?? ''}`, () => {
  let llm: FakeLlm;
  let nodeA: TestApp;
  let nodeB: TestApp;

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      return { stream: ['Working', ' on it'], hang: true };
    });
    const env = { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' };
    nodeA = await startTestApp({ engine: scale, env });
    nodeB = await startTestApp({ engine: scale, env, shareWith: nodeA });
    await nodeA.app.services.worker.stop();
  });
  afterAll(async () => {
    await nodeB?.close();
    await nodeA?.close();
    await llm?.close();
  });

  it('ends the run cancelled on the other node, then removes the thread', async () => {
    const errors = vi.spyOn(nodeB.app.services.logger, 'error');
    const warnings = vi.spyOn(nodeB.app.services.logger, 'warn');
    try {
      const user = await signUp(nodeA.baseUrl, 'two-nodes');
      const client = createRestClient({ baseUrl: nodeA.baseUrl, getAccessToken: () => user.token });
      await client.uploadUsage(user.userId, usageNdjson({ seed: 9, days: 2, requestsPerDay: 20 }));
      const socket = await openTestSocket(nodeA.wsUrl, { ticket: await ticketFor(nodeA.baseUrl, user.token), workspaceId: user.userId });
      const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 10_000);
      expect(nodeB.app.services.worker.active).toBe(1);

      const started = Date.now();
      await client.deleteThread(user.userId, threadId);
      const tookMs = Date.now() - started;

      expect((await socket.waitForTerminal(runId, 5_000)).type).toBe('run_cancelled');
      expectCompleteRun(socket.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
      expect(tookMs).toBeLessThan(3_000);
      await expect.poll(() => nodeB.app.services.worker.active, { timeout: 3_000 }).toBe(0);
      expect(await client.listThreads(user.userId)).toEqual([]);
      const gone = await client.getRun(user.userId, runId).catch((e: unknown) => e);
      expect((gone as TallyApiError).code).toBe('RUN_NOT_FOUND');
      const about = (spy: typeof errors) => spy.mock.calls.filter((call) => JSON.stringify(call).includes(runId));
      expect(about(errors)).toEqual([]);
      expect(about(warnings)).toEqual([]);
      socket.close();
    } finally {
      errors.mockRestore();
      warnings.mockRestore();
    }
  });
});
