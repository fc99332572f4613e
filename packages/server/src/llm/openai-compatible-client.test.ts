import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeLlm, type FakeLlm, type FakeLlmScript } from '../../test/support/fake-llm.js';
import { createLlm } from './create-llm.js';
import { LlmError, type LanguageModelClient, type LlmCall } from './language-model-client.js';
import { createOpenAiCompatibleClient } from './openai-compatible-client.js';

const Verdict = z.object({ intent: z.enum(['a', 'b']), score: z.number() });

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function clientFor(script: FakeLlmScript, timeoutMs = 5_000): Promise<LanguageModelClient> {
  fake = await startFakeLlm(script);
  return createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'test-key', model: 'fake-model', timeoutMs, maxRetries: 0 });
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const delta of stream) out.push(delta);
  return out;
}

const ask = (signal = new AbortController().signal) => ({ system: 'be brief', prompt: 'hello', signal, feature: 'test' });

describe('OpenAI-compatible client', () => {
  it('streams text deltas in order over SSE', async () => {
    const llm = await clientFor([{ stream: ['Hel', 'lo ', 'world'], chunkDelayMs: 5 }]);
    expect(await collect(llm.streamText(ask()))).toEqual(['Hel', 'lo ', 'world']);
    const [request] = fake!.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.headers['authorization']).toBe('Bearer test-key');
    expect(request!.body).toMatchObject({
      model: 'fake-model',
      stream: true,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
    });
  });

  it('returns a structured object validated by the zod schema', async () => {
    const llm = await clientFor([{ json: { intent: 'b', score: 0.5 } }]);
    await expect(llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' })).resolves.toEqual({ intent: 'b', score: 0.5 });
    expect(fake!.requests[0]!.stream).toBe(false);
    expect(fake!.requests[0]!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'verdict' } },
    });
  });

  it('fails with invalid_output on malformed JSON or an object the schema refuses', async () => {
    const llm = await clientFor([{ text: '{"intent": "b", "sco' }, { json: { intent: 'c', score: 1 } }]);
    for (let i = 0; i < 2; i++) {
      const error = await llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LlmError);
      expect((error as LlmError).kind).toBe('invalid_output');
    }
  });

  it('fails with an http LlmError on an HTTP error', async () => {
    const llm = await clientFor([{ error: { status: 500, message: 'boom' } }, { error: { status: 400, message: 'bad' } }]);
    const streamed = await collect(llm.streamText(ask())).catch((e: unknown) => e);
    expect(streamed).toMatchObject({ name: 'LlmError', kind: 'http' });
    const generated = await llm.generateObject({ ...ask(), schema: Verdict, name: 'verdict' }).catch((e: unknown) => e);
    expect(generated).toMatchObject({ name: 'LlmError', kind: 'http' });
  });

  it('a stop aborts the HTTP request mid-stream and throws the signal reason', async () => {
    const llm = await clientFor([{ stream: ['one ', 'two ', 'three'], chunkDelayMs: 30, hang: true }]);
    const stop = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const delta of llm.streamText(ask(stop.signal))) {
        seen.push(delta);
        if (seen.length === 2) stop.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(stop.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    expect(seen).toEqual(['one ', 'two ']);
    const aborted = await fake!.waitForAbort();
    expect(aborted.stream).toBe(true);
    expect(fake!.abortedRequests).toBe(1);
  });

  it('a stop reaches a structured call that has not answered yet', async () => {
    const llm = await clientFor([{ hang: true }]);
    const stop = new AbortController();
    const pending = llm.generateObject({ ...ask(stop.signal), schema: Verdict, name: 'verdict' });
    await expect.poll(() => fake!.requests.length).toBe(1);
    stop.abort();
    await expect(pending).rejects.toBe(stop.signal.reason);
    await fake!.waitForAbort();
  });

  it('times out with a timeout LlmError and drops the request', async () => {
    const llm = await clientFor([{ stream: ['slow'], hang: true }], 200);
    const error = await collect(llm.streamText(ask())).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout' });
    await fake!.waitForAbort();
  });
});

describe('OpenAI-compatible client, retries and usage', () => {
  it('retries a 429 with backoff and records the call once, with its usage', async () => {
    fake = await startFakeLlm([{ error: { status: 429, message: 'slow down' } }, { stream: ['ok'] }]);
    const calls: LlmCall[] = [];
    const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'gpt-4o-mini', timeoutMs: 10_000, maxRetries: 1, recordCall: async (c) => void calls.push(c) });
    expect(await collect(llm.streamText(ask()))).toEqual(['ok']);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(calls).toEqual([expect.objectContaining({ kind: 'openai-compatible', model: 'gpt-4o-mini', feature: 'test', status: 'ok', inputTokens: 10, outputTokens: 10 })]);
  }, 15_000);
});

describe('createLlm', () => {
  it('is null offline and an OpenAI-compatible client otherwise', () => {
    expect(createLlm({ kind: 'offline' })).toBeNull();
    const llm = createLlm({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', apiKey: undefined, model: 'm', timeoutMs: 1000 });
    expect(llm?.modelId).toBe('m');
  });
});
