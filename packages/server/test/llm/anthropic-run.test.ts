import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const CHUNKS = ['Most of your spend ', 'goes to one model; ', 'moving batch traffic ', 'saves the most.'];

/**
 * A run answered by Anthropic (TALLY_LLM_PROVIDER=anthropic, the fake Messages API speaking its
 * real SSE stream): the reporting agent's plain answer comes through the lean reader
 * (llm/anthropic-text-stream.ts), chunk by chunk, whole and in order, and the run completes as it
 * does on the OpenAI-compatible path.
 */
describe('a run answered by Anthropic through the lean reader', () => {
  let server: TestApp;
  let anthropic: FakeAnthropic;
  beforeAll(async () => {
    anthropic = await startFakeAnthropic(() => ({ text: CHUNKS, chunkDelayMs: 15, usage: { input: 1500, output: 40, cacheRead: 300 } }));
    server = await startTestApp({
      engine: engineSetups()[0]!,
      env: { TALLY_LLM_PROVIDER: 'anthropic', TALLY_LLM_BASE_URL: anthropic.url, TALLY_LLM_MODEL: 'claude-sonnet-4-5', TALLY_LLM_API_KEY: 'sk-ant-run' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await anthropic?.close();
  });

  it('streams the answer as Claude wrote it, chunk by chunk, and completes the run', async () => {
    const user = await signUp(server.baseUrl, 'claude-user');
    const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 3, days: 7, requestsPerDay: 40 }) });
    expect(upload.status).toBe(200);
    const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
    // A question the rules read surely: triage asks no LLM, the reporting agent streams the answer.
    const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
    const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
    const terminal = await socket.waitForTerminal(runId);
    const live = socket.eventsOf(runId);
    socket.close();
    expectCompleteRun(live, { runId, threadId });
    if (terminal.type !== 'run_completed') throw new Error(`run ended with ${terminal.type}`);
    expect(ReportSchema.parse(terminal.data.report).mode).toBe('llm');

    // Paced chunks each came as a delta of their own, whole and in order, and make the answer.
    const deltas = live.flatMap((e) => (e.type === 'message_delta' && e.data.agent === 'reporting' ? [e.data.text] : []));
    expect(deltas.slice(0, CHUNKS.length)).toEqual(CHUNKS);
    expect(streamedText(live)).toBe(terminal.data.answer);
    expect(terminal.data.answer.startsWith(CHUNKS.join(''))).toBe(true);

    // The reporting agent's request went through the lean reader (the SDK's would name itself), with its limit.
    const reporting = anthropic.requests.filter((r) => r.stream);
    expect(reporting).toHaveLength(1);
    expect(reporting[0]!.headers['user-agent'] ?? '').not.toContain('ai-sdk');
    expect(reporting[0]!.headers['x-api-key']).toBe('sk-ant-run');
    expect(reporting[0]!.body).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 1200, stream: true });
  });
});
