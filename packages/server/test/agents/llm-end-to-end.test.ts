import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type RunEvent } from '@tally/protocol';
import { SYSTEM_USER_ID } from '../../src/store/system-user.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm, type FakeLlmReply, type FakeLlmRequest } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * The agents' LLM side end to end: a real node, a real WebSocket peer and the fake
 * OpenAI-compatible server, scripted per test. Tool calls run against the user's own records and
 * show as tool events; a malformed classification falls back to the rules; a hung LLM ends the run
 * with LLM_TIMEOUT; a stop while a tool runs ends it cancelled; every model call is recorded as
 * Tally's own usage.
 */
const TIMEOUT_MS = 1_500;
type Script = (request: FakeLlmRequest) => FakeLlmReply;

const isTriage = (r: FakeLlmRequest) => !r.stream && 'response_format' in r.body;
const messagesOf = (r: FakeLlmRequest) => (r.body['messages'] as Array<{ role: string; content?: unknown }>) ?? [];
/** Which model call of the reporting tool loop this is: 1 + the assistant turns already in it. */
const reportingStep = (r: FakeLlmRequest) => 1 + messagesOf(r).filter((m) => m.role === 'assistant').length;
const classify = (intent: string): FakeLlmReply => ({ json: { intent, models: [], project: null, timeRange: null } });

type ToolEvent<T extends 'tool_executing' | 'tool_completed'> = Extract<RunEvent, { type: T }>;
const toolEvents = <T extends 'tool_executing' | 'tool_completed'>(events: RunEvent[], type: T) => events.filter((e): e is ToolEvent<T> => e.type === type);

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`LLM runs end to end on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let script: Script = () => ({ error: { status: 500, message: 'no script' } });
    let user: Awaited<ReturnType<typeof signUp>>;
    let uploaded: number;

    beforeAll(async () => {
      llm = await startFakeLlm((request) => script(request));
      server = await startTestApp({
        engine,
        env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'gpt-4o-mini', TALLY_LLM_API_KEY: 'test-key', TALLY_LLM_TIMEOUT_MS: String(TIMEOUT_MS) },
      });
      user = await signUp(server.baseUrl, 'llm-e2e');
      const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 11, days: 7, requestsPerDay: 40 }) });
      uploaded = upload.body['inserted'] as number;
      // Another user's records, which no tool of the first user may see.
      const other = await signUp(server.baseUrl, 'llm-e2e-other');
      await rest(server.baseUrl, 'POST', `/v1/workspaces/${other.userId}/usage`, { token: other.token, body: usageNdjson({ seed: 12, days: 7, requestsPerDay: 40 }) });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    async function ask(text: string): Promise<{ socket: TestSocket; runId: string; threadId: string }> {
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      const ack = await socket.command('send_message', { text });
      expect(ack).toMatchObject({ type: 'ack' });
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      return { socket, runId, threadId };
    }

    it('answers a free-form question with tool calls over the owner’s records, each shown as tool events, and records its own usage', async () => {
      script = (r) => {
        if (isTriage(r)) return classify('general');
        switch (reportingStep(r)) {
          case 1:
            return {
              toolCalls: [
                { name: 'usage_summary', args: { groupBy: 'model' } },
                { name: 'top_spend', args: { by: 'slice', limit: 3 } },
                // Input its schema refuses: shown as a failed tool call, the model is told.
                { name: 'what_if_model', args: { targetModel: '' } },
              ],
            };
          case 2:
            return { toolCalls: [{ name: 'what_if_model', args: { targetModel: 'gpt-4.1-mini', model: 'gpt-4o' } }] };
          default:
            return { stream: ['TOOLS-ANSWER: ', 'moving gpt-4o ', 'would save money.'], chunkDelayMs: 5 };
        }
      };
      const before = llm.requests.length;
      const { socket, runId, threadId } = await ask('If we had to defend our AI budget to the CFO, what would you say?');
      const terminal = await socket.waitForTerminal(runId);
      const events = socket.eventsOf(runId);
      socket.close();
      expectCompleteRun(events, { runId, threadId });
      if (terminal.type !== 'run_completed') throw new Error(`run ended with ${terminal.type}`);

      const executing = toolEvents(events, 'tool_executing').filter((e) => e.data.agent === 'reporting');
      const completed = toolEvents(events, 'tool_completed').filter((e) => e.data.agent === 'reporting');
      // The refused call shows as soon as it is parsed; the valid ones as they run.
      expect(executing.map((e) => e.data.tool).sort()).toEqual(['top_spend', 'usage_summary', 'what_if_model', 'what_if_model']);
      expect(completed.map((e) => e.data.toolCallId).sort()).toEqual(executing.map((e) => e.data.toolCallId).sort());
      const byTool = (tool: string, valid = true) => completed.find((e) => e.data.tool === tool && (e.data.error === undefined) === valid)!.data;

      // Validated input as args (defaults applied), the computed result, a duration.
      const summary = byTool('usage_summary');
      expect(summary.args).toMatchObject({ groupBy: 'model', limit: 20 });
      expect(summary.durationMs).toEqual(expect.any(Number));
      const totals = (summary.result as { totals: { requests: number; costUsd: number } }).totals;
      // Owner-scoped: exactly this user's records, none of the other user's.
      expect(totals.requests).toBe(uploaded);
      expect((byTool('top_spend').result as { rows: unknown[] }).rows).toHaveLength(3);
      expect(byTool('what_if_model', false).error).toContain('invalid arguments');
      const whatIf = byTool('what_if_model').result as { targetModel: string; currentCostUsd: number; projectedCostUsd: number; savingUsd: number };
      expect(whatIf.targetModel).toBe('gpt-4.1-mini');
      expect(whatIf.currentCostUsd).toBeGreaterThan(whatIf.projectedCostUsd);
      expect(whatIf.savingUsd).toBeCloseTo(whatIf.currentCostUsd - whatIf.projectedCostUsd, 5);

      // The model got the tool results back, then streamed its answer.
      const reporting = llm.requests.slice(before).filter((r) => !isTriage(r));
      expect(reporting).toHaveLength(3);
      expect(reporting[0]!.body['tools']).toEqual(expect.arrayContaining([expect.objectContaining({ function: expect.objectContaining({ name: 'usage_summary' }) })]));
      const toolMessages = messagesOf(reporting[1]!).filter((m) => m.role === 'tool');
      expect(toolMessages).toHaveLength(3);
      expect(JSON.stringify(toolMessages)).toContain(String(totals.requests));
      expect(terminal.data.answer.startsWith('TOOLS-ANSWER: moving gpt-4o would save money.')).toBe(true);
      expect(streamedText(events)).toBe(terminal.data.answer);
      expect(ReportSchema.parse(terminal.data.report)).toMatchObject({ intent: 'general', mode: 'llm' });

      // Tally's own usage: every model call of the run, on the system owner, project tally, feature = agent
      // (written behind: flushed here rather than waited for).
      await server.app.services.agents.ownUsage.flush();
      const own = await server.app.services.agents.usageStore.aggregate(SYSTEM_USER_ID);
      const mine = own.filter((r) => r.project === 'tally');
      expect(mine.length).toBeGreaterThan(0);
      expect(new Set(mine.map((r) => r.feature))).toEqual(new Set(['triage', 'reporting']));
      expect(mine.every((r) => r.model === 'gpt-4o-mini' && r.status === 'ok')).toBe(true);
      const calls = mine.reduce((n, r) => n + r.requests, 0);
      expect(calls).toBeGreaterThanOrEqual(4);
      expect(mine.reduce((n, r) => n + r.inputTokens, 0)).toBeGreaterThan(0);
      expect(mine.reduce((n, r) => n + r.costUsd, 0)).toBeGreaterThan(0);
      // The system owner can never sign in (its email is not even a valid login, its hash no hash).
      const login = await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: 'tally-system@localhost', password: '!unusable-but-long-enough' } });
      expect([400, 401]).toContain(login.status);
    });

    it('falls back to the rules when the structured output is malformed, and says so', async () => {
      script = (r) => (isTriage(r) ? { text: '{"intent": "caching", "mod' } : { stream: ['Caching helps.'] });
      const { socket, runId, threadId } = await ask('How much would prompt caching save us?');
      const terminal = await socket.waitForTerminal(runId);
      const events = socket.eventsOf(runId);
      socket.close();
      expectCompleteRun(events, { runId, threadId });
      const thinking = events.find((e): e is Extract<RunEvent, { type: 'agent_thinking' }> => e.type === 'agent_thinking' && e.data.agent === 'triage');
      expect(thinking?.data.text).toContain('fell back to the rule-based classifier');
      if (terminal.type !== 'run_completed') throw new Error(`run ended with ${terminal.type}`);
      expect(terminal.data.report).toMatchObject({ intent: 'caching', mode: 'llm' });
    });

    it('a hung LLM times out into run_failed LLM_TIMEOUT, and the request is dropped', async () => {
      script = () => ({ hang: true });
      const aborted = llm.abortedRequests;
      const started = Date.now();
      const { socket, runId, threadId } = await ask('Where is my AI money going?');
      const terminal = await socket.waitForTerminal(runId, 15_000);
      const events = socket.eventsOf(runId);
      socket.close();
      expectCompleteRun(events, { runId, threadId, terminal: 'run_failed' });
      expect(terminal).toMatchObject({ type: 'run_failed', data: { code: 'LLM_TIMEOUT', message: expect.stringContaining(`${TIMEOUT_MS} ms`) } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
      await expect.poll(() => llm.abortedRequests, { timeout: 5_000 }).toBeGreaterThan(aborted);
      const run = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token });
      expect(run.body).toMatchObject({ status: 'failed' });
    });

    it('a stop sent as a tool call starts ends the run with run_cancelled, and nothing follows', async () => {
      script = (r) => {
        if (isTriage(r)) return classify('general');
        // The first model call asks for a tool; the next one would never answer.
        return reportingStep(r) === 1 ? { toolCalls: [{ name: 'top_spend', args: { by: 'model' } }] } : { hang: true };
      };
      const { socket, runId, threadId } = await ask('Tell me something surprising about our usage.');
      await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'tool_executing' && (f['data'] as { agent: string }).agent === 'reporting');
      const stop = await socket.command('stop_run', { runId });
      expect(stop).toMatchObject({ type: 'ack' });
      const terminal = await socket.waitForTerminal(runId, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const events = socket.eventsOf(runId);
      socket.close();
      expect(terminal.type).toBe('run_cancelled');
      expectCompleteRun(events, { runId, threadId, terminal: 'run_cancelled' });
      expect(events.filter((e) => e.type === 'message_delta')).toEqual([]);
      const run = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}`, { token: user.token });
      expect(run.body).toMatchObject({ status: 'cancelled' });
    });
  });
}
