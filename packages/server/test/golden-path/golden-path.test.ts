import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

/**
 * The golden path of DESIGN.md section 1 over a real WebSocket: sign up, load usage, ask, watch
 * the run live, then find thread, messages, run and events again as after a reload.
 */
for (const engine of engineSetups()) {
  for (const llmMode of ['offline', 'fake-openai'] as const) {
    describe.skipIf(engine.skipReason !== null)(`golden path on ${engine.name} with ${llmMode} LLM ${engine.skipReason ?? ''}`, () => {
      let server: TestApp;
      let llm: FakeLlm | undefined;

      beforeAll(async () => {
        if (llmMode === 'fake-openai') {
          llm = await startFakeLlm(fakeAnalystScript);
        }
        server = await startTestApp({
          engine,
          env: llm ? { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake-analyst', TALLY_LLM_API_KEY: 'test-key' } : {},
        });
      });
      afterAll(async () => {
        await server?.close();
        await llm?.close();
      });

      it('runs from sign-up to report, and everything is there again after a reload', async () => {
        const health = await rest(server.baseUrl, 'GET', '/v1/health');
        expect(health.body).toMatchObject({ status: 'ok', engines: { llm: llmMode === 'offline' ? 'offline' : 'openai-compatible' } });

        const user = await signUp(server.baseUrl, 'golden');
        const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 7, days: 7, requestsPerDay: 60 }) });
        expect(upload.status).toBe(200);
        expect(upload.body).toMatchObject({ rejected: 0 });
        expect(upload.body['inserted']).toBeGreaterThan(100);

        const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
        const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
        expect(ack).toMatchObject({ type: 'ack' });
        const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
        const terminal = await socket.waitForTerminal(runId);
        const live = socket.eventsOf(runId);
        expectCompleteRun(live, { runId, threadId });

        // The live view shows the work: agents, tool calls with args and results, the streamed answer.
        const agents = live.flatMap((e) => (e.type === 'agent_started' ? [e.data.agent] : []));
        expect(agents).toEqual(expect.arrayContaining(['supervisor', 'triage', 'data', 'optimization', 'actions', 'reporting']));
        const tool = live.find((e): e is Extract<RunEvent, { type: 'tool_completed' }> => e.type === 'tool_completed');
        expect(tool?.data).toMatchObject({ tool: expect.any(String), durationMs: expect.any(Number) });
        expect(tool?.data.result).toBeDefined();
        if (terminal.type !== 'run_completed') throw new Error(`run ended with ${terminal.type}`);
        const report = ReportSchema.parse(terminal.data.report);
        expect(report.totals.costUsd).toBeGreaterThan(0);
        expect(report.breakdowns.byModel.length).toBeGreaterThan(1);
        expect(report.mode).toBe(llmMode === 'offline' ? 'offline' : 'llm');
        expect(streamedText(live)).toBe(terminal.data.answer);
        if (llm) {
          expect(terminal.data.answer).toContain('FAKE-LLM');
          expect(llm.requests.length).toBeGreaterThan(0);
        }
        socket.close();

        // After a reload: the thread, both messages, the run and its whole log, identical.
        const threads = await rest<{ threads: Array<{ id: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads`, { token: user.token });
        expect(threads.body.threads.map((t) => t.id)).toEqual([threadId]);
        const messages = await rest<{ messages: Array<{ role: string; content: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/threads/${threadId}/messages`, { token: user.token });
        expect(messages.body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
        expect(messages.body.messages[1]!.content).toBe(terminal.data.answer);
        const run = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token });
        expect(run.body).toMatchObject({ id: runId, threadId, status: 'completed', lastSeq: live.length });
        const logged = await rest<{ events: RunEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}/events?afterSeq=0`, { token: user.token });
        expect(logged.body.events).toEqual(live);

        const again = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
        const sub = await again.command('subscribe', { runId, afterSeq: 0 });
        expect(sub).toMatchObject({ type: 'ack', data: { runId, threadId, status: 'completed' } });
        await again.waitForTerminal(runId);
        expect(again.eventsOf(runId)).toEqual(live);
        again.close();
      });
    });
  }
}

/** The fake LLM plays an analyst: triage returns a valid classification, reporting streams text. */
function fakeAnalystScript(request: { body: Record<string, unknown> }) {
  const wantsJson = JSON.stringify(request.body).includes('json');
  if (wantsJson && request.body['stream'] !== true) {
    return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
  }
  return { stream: ['FAKE-LLM: ', 'your spend ', 'is explained ', 'by the figures below.'], chunkDelayMs: 5 };
}
