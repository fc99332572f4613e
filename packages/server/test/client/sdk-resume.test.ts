import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, createWsClient } from '@tally/client';
import { isTerminalEvent, type RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { signUp } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';

/**
 * The SDK the web app and the CLI use, against the real server: when the link dies mid-run (the
 * server drops the socket, as when Wi-Fi goes), it reconnects with a new ticket and resumes from
 * its last seq; the run arrives whole, once, in order.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`client SDK resume on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;

    beforeAll(async () => {
      llm = await startFakeLlm((request) =>
        request.body['stream'] === true
          ? { stream: Array.from({ length: 40 }, (_, i) => `w${i} `), chunkDelayMs: 30 }
          : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
      );
      server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    it('reconnects after the server drops the socket and delivers every event exactly once', async () => {
      const user = await signUp(server.baseUrl, 'sdk');
      const rest = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => user.token });
      await rest.uploadUsage(user.userId, usageNdjson({ seed: 11, days: 2, requestsPerDay: 40 }));
      const client = createWsClient({
        url: server.baseUrl,
        WebSocket: WebSocket as never,
        auth: { ticket: async () => (await rest.createWsTicket()).ticket },
        backoff: { initialMs: 50, maxMs: 200 },
      });
      const received: RunEvent[] = [];
      const statuses: string[] = [];
      client.on('event', (e) => received.push(e));
      client.on('status', (s) => statuses.push(s));
      await client.connect();
      const { runId, threadId } = await client.sendMessage({ workspaceId: user.userId, text: 'Where is my AI money going?' });

      await expect.poll(() => received.filter((e) => e.type === 'message_delta').length, { timeout: 10_000 }).toBeGreaterThan(3);
      for (const socket of server.app.app.websocketServer.clients) socket.terminate();

      await expect.poll(() => received.some((e) => isTerminalEvent(e.type)), { timeout: 20_000 }).toBe(true);
      expect(statuses).toContain('reconnecting');
      expectCompleteRun(received, { runId, threadId });
      expect(received).toEqual(await rest.listAllRunEvents(user.userId, runId));
      client.close();
    });
  });
}
