import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicReply, type FakeAnthropicRequest } from '../../test/support/fake-anthropic.js';
import { createAnthropicClient } from './anthropic-client.js';
import { createLlm } from './create-llm.js';
import { defineTool, type LanguageModelClient, type LlmCall } from './language-model-client.js';

const Verdict = z.object({ intent: z.enum(['a', 'b']), score: z.number() });

let fake: FakeAnthropic | undefined;
let calls: LlmCall[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  calls = [];
});

async function clientFor(script: FakeAnthropicReply[] | ((r: FakeAnthropicRequest, i: number) => FakeAnthropicReply), timeoutMs = 5_000, model = 'claude-sonnet-4-5'): Promise<LanguageModelClient> {
  fake = await startFakeAnthropic(script);
  return createAnthropicClient({ baseUrl: fake.url, apiKey: 'sk-ant-test', model, timeoutMs, maxRetries: 0, recordCall: async (c) => void calls.push(c) });
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const delta of stream) out.push(delta);
  return out;
}

const ask = (signal = new AbortController().signal) => ({ system: 'be brief', prompt: 'hello', signal, feature: 'reporting' });

describe('Anthropic client (Messages API through @ai-sdk/anthropic)', () => {
  it('streams text deltas over the SSE event stream and records the call with its usage', async () => {
    const llm = await clientFor([{ text: ['Hel', 'lo ', 'world'], chunkDelayMs: 5, usage: { input: 40, output: 7, cacheRead: 100, cacheWrite: 20 } }]);
    expect(await collect(llm.streamText(ask()))).toEqual(['Hel', 'lo ', 'world']);
    const [request] = fake!.requests;
    expect(request!.path).toBe('/v1/messages');
    expect(request!.headers['x-api-key']).toBe('sk-ant-test');
    expect(request!.headers['anthropic-version']).toBeDefined();
    expect(request!.body).toMatchObject({ model: 'claude-sonnet-4-5', stream: true, system: [{ type: 'text', text: 'be brief' }], messages: [{ role: 'user' }] });
    // Anthropic's input_tokens are already the uncached part; cache reads and writes come apart.
    expect(calls).toEqual([
      expect.objectContaining({ kind: 'anthropic', model: 'claude-sonnet-4-5', feature: 'reporting', status: 'ok', inputTokens: 40, cacheReadTokens: 100, cacheWriteTokens: 20, outputTokens: 7 }),
    ]);
  });

  it('returns a structured object validated by the zod schema, and fails with invalid_output otherwise', async () => {
    const llm = await clientFor([{ json: { intent: 'b', score: 0.5 } }, { json: { intent: 'c', score: 1 } }]);
    await expect(llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' })).resolves.toEqual({ intent: 'b', score: 0.5 });
    const error = await llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'invalid_output' });
    // Both calls went through and were billed; the refused object is the caller's concern.
    expect(calls.map((c) => c.status)).toEqual(['ok', 'ok']);
  });

  it('structured output through the forced json tool on a model without native structured outputs', async () => {
    const llm = await clientFor([{ json: { intent: 'a', score: 2 } }], 5_000, 'claude-3-5-haiku-20241022');
    await expect(llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' })).resolves.toEqual({ intent: 'a', score: 2 });
    expect(fake!.requests[0]!.body).toMatchObject({ tools: [expect.objectContaining({ name: 'json' })], tool_choice: { type: 'any' } });
  });

  it('runs a tool loop: the tool executes with validated input, its result goes back, the answer streams', async () => {
    const seen: unknown[] = [];
    const llm = await clientFor((request, i) =>
      i === 0 ? { toolUse: [{ name: 'add', input: { a: 2, b: 3 } }] } : { text: [`sum is `, JSON.stringify((request.body['messages'] as unknown[]).length)] },
    );
    const tools = {
      add: defineTool({
        description: 'adds',
        inputSchema: z.object({ a: z.number(), b: z.number() }),
        execute: async (input) => {
          seen.push(input);
          return { sum: input.a + input.b };
        },
      }),
    };
    const text = (await collect(llm.streamWithTools({ ...ask(), tools, maxSteps: 3 }))).join('');
    expect(seen).toEqual([{ a: 2, b: 3 }]);
    // user, assistant tool_use, user tool_result
    expect(text).toBe('sum is 3');
    const toolResult = JSON.stringify(fake!.requests[1]!.body['messages']);
    expect(toolResult).toContain('tool_result');
    expect(toolResult).toContain('{\\"sum\\":5}');
    expect(calls).toHaveLength(2);
  });

  it('maps an HTTP error to an http LlmError', async () => {
    const llm = await clientFor([{ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }]);
    const error = await collect(llm.streamText(ask())).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'http' });
    expect(calls.map((c) => c.status)).toEqual(['error']);
  });

  it('a stop aborts the HTTP request mid-stream and throws the signal reason', async () => {
    const llm = await clientFor([{ text: ['one ', 'two ', 'three'], chunkDelayMs: 30, hang: true }]);
    const stop = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const delta of llm.streamText(ask(stop.signal))) {
        seen.push(delta);
        if (seen.length === 2) stop.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(stop.signal.reason);
    expect(seen).toEqual(['one ', 'two ']);
    await fake!.waitForAbort();
  });

  it('times out with a timeout LlmError and drops the request', async () => {
    const llm = await clientFor([{ hang: true }], 200);
    const error = await collect(llm.streamText(ask())).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout' });
    await fake!.waitForAbort();
    expect(calls.map((c) => c.status)).toEqual(['timeout']);
  });

  it('is what createLlm builds for the anthropic kind', () => {
    const llm = createLlm({ kind: 'anthropic', baseUrl: undefined, apiKey: 'k', model: 'claude-haiku-4-5', timeoutMs: 1000 });
    expect(llm).toMatchObject({ kind: 'anthropic', modelId: 'claude-haiku-4-5' });
  });
});
