import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnthropic } from '@ai-sdk/anthropic';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicReply } from '../../test/support/fake-anthropic.js';
import { createAiSdkClient } from './ai-sdk-client.js';
import { createAnthropicClient } from './anthropic-client.js';
import { anthropicBaseUrl } from './anthropic-text-stream.js';
import { LlmError, type LanguageModelClient, type LlmCall } from './language-model-client.js';

let fake: FakeAnthropic | undefined;
let server: http.Server | undefined;
let calls: LlmCall[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
  calls = [];
});

const MODEL = 'claude-sonnet-4-5';
const record = async (c: LlmCall) => void calls.push(c);
/** The reporting agent's kind of request: a plain answer with its output limit. */
const ask = (signal = new AbortController().signal) => ({ system: 'be brief', prompt: 'hello', signal, feature: 'reporting', maxOutputTokens: 300 });
const askWithoutLimit = () => ({ system: 'be brief', prompt: 'hello', signal: new AbortController().signal, feature: 'reporting' });

function lean(url: string, timeoutMs = 5_000): LanguageModelClient {
  return createAnthropicClient({ baseUrl: url, apiKey: 'sk-ant-test', model: MODEL, timeoutMs, maxRetries: 0, recordCall: record });
}

/** The same client with no lean reader: every answer through @ai-sdk/anthropic's. */
function sdkOnly(url: string): LanguageModelClient {
  const provider = createAnthropic({ baseURL: url, apiKey: 'sk-ant-test' });
  return createAiSdkClient({ kind: 'anthropic', model: provider.messages(MODEL), modelId: MODEL, timeoutMs: 5_000, maxRetries: 0, recordCall: record });
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

/**
 * An endpoint answering its n-th request with `bodies[n]` as it is (the last one after that), for
 * events fake-anthropic does not script; counts them.
 */
async function scriptedEndpoint(bodies: string[]): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = bodies[Math.min(count, bodies.length - 1)]!;
      count += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => count };
}

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

describe('lean Anthropic text stream (the plain answer path)', () => {
  it('sends the request the SDK sends, and reads the same texts and usage from the same stream', async () => {
    const reply: FakeAnthropicReply = { text: ['Hel', 'lo ', 'world'], chunkDelayMs: 5, usage: { input: 40, output: 7, cacheRead: 100, cacheWrite: 20 } };
    fake = await startFakeAnthropic([reply, reply]);
    const viaLean = await collect(lean(fake.url).streamText(ask()));
    const viaSdk = await collect(sdkOnly(fake.url).streamText(ask()));
    expect(viaLean).toEqual(['Hel', 'lo ', 'world']);
    expect(viaLean.join('')).toBe(viaSdk.join(''));
    const [leanRequest, sdkRequest] = fake.requests;
    expect(leanRequest!.path).toBe(sdkRequest!.path);
    expect(leanRequest!.body).toEqual(sdkRequest!.body);
    expect(leanRequest!.headers['x-api-key']).toBe('sk-ant-test');
    expect(leanRequest!.headers['anthropic-version']).toBe(sdkRequest!.headers['anthropic-version']);
    // Only the SDK's request names it: the first went through the lean reader.
    expect(sdkRequest!.headers['user-agent']).toContain('ai-sdk/anthropic');
    expect(leanRequest!.headers['user-agent'] ?? '').not.toContain('ai-sdk');
    const tokens = (c: LlmCall) => [c.status, c.inputTokens, c.cacheReadTokens, c.cacheWriteTokens, c.outputTokens, c.reasoningTokens];
    expect(calls).toHaveLength(2);
    expect(tokens(calls[0]!)).toEqual(tokens(calls[1]!));
    expect(tokens(calls[0]!)).toEqual(['ok', 40, 100, 20, 7, 0]);
  });

  it('leaves a request without an output limit, or a client without a key of its own, to the SDK', async () => {
    fake = await startFakeAnthropic([{ text: 'a' }, { text: 'b' }]);
    expect(await collect(lean(fake.url).streamText(askWithoutLimit()))).toEqual(['a']);
    const keyless = createAnthropicClient({ baseUrl: fake.url, apiKey: undefined, model: MODEL, timeoutMs: 5_000, maxRetries: 0 });
    const previous = process.env['ANTHROPIC_API_KEY'];
    process.env['ANTHROPIC_API_KEY'] = 'sk-ant-from-env';
    try {
      expect(await collect(keyless.streamText(ask()))).toEqual(['b']);
    } finally {
      if (previous === undefined) delete process.env['ANTHROPIC_API_KEY'];
      else process.env['ANTHROPIC_API_KEY'] = previous;
    }
    for (const request of fake.requests) expect(request.headers['user-agent']).toContain('ai-sdk/anthropic');
    expect(fake.requests[1]!.headers['x-api-key']).toBe('sk-ant-from-env');
  });

  it('an error event fails the answer after the text before it, recorded as an error; a chunk that is not JSON too', async () => {
    const start = sse('message_start', { message: { usage: { input_tokens: 5, output_tokens: 1 } } });
    const { url } = await scriptedEndpoint([
      start + sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'partial ' } }) + sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ]);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const piece of lean(url).streamText(ask())) seen.push(piece);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['partial ']);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).message).toContain('Overloaded');
    expect(calls).toEqual([expect.objectContaining({ status: 'error', inputTokens: 5 })]);
    server!.closeAllConnections();
    await new Promise<void>((done) => server!.close(() => done()));
    const broken = await scriptedEndpoint([start + 'event: content_block_delta\ndata: {"type": "content_bl\n\n']);
    await expect(collect(lean(broken.url).streamText(ask()))).rejects.toMatchObject({ name: 'LlmError', message: expect.stringContaining('not JSON') });
  });

  it('an overloaded_error before any text is retried as the SDK retries it; another error, or one after text, is not', async () => {
    const start = sse('message_start', { message: { usage: { input_tokens: 5, output_tokens: 1 } } });
    const text = (t: string) => sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } });
    const overloaded = sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
    const answer = start + text('fine') + sse('message_delta', { delta: {}, usage: { output_tokens: 3 } }) + sse('message_stop', {});
    const retried = await scriptedEndpoint([start + overloaded, answer]);
    const retrying = createAnthropicClient({ baseUrl: retried.url, apiKey: 'sk-ant-test', model: MODEL, timeoutMs: 10_000, maxRetries: 1, recordCall: record });
    expect(await collect(retrying.streamText(ask()))).toEqual(['fine']);
    expect(retried.requests()).toBe(2);
    expect(calls).toEqual([expect.objectContaining({ status: 'ok', outputTokens: 3 })]);

    const cases: Array<[string, string]> = [
      ['another error type', start + sse('error', { error: { type: 'api_error', message: 'Internal' } })],
      ['overloaded after text', start + text('half ') + overloaded],
    ];
    for (const [name, body] of cases) {
      server!.closeAllConnections();
      await new Promise<void>((done) => server!.close(() => done()));
      const once = await scriptedEndpoint([body, answer]);
      const client = createAnthropicClient({ baseUrl: once.url, apiKey: 'sk-ant-test', model: MODEL, timeoutMs: 10_000, maxRetries: 1 });
      await expect(collect(client.streamText(ask())), name).rejects.toMatchObject({ name: 'LlmError' });
      expect(once.requests(), name).toBe(1);
    }
    // Out of retries: the overload is an http failure of status 529, as the SDK reports it.
    server!.closeAllConnections();
    await new Promise<void>((done) => server!.close(() => done()));
    const always = await scriptedEndpoint([start + overloaded]);
    const error = await collect(lean(always.url).streamText(ask())).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'http', message: expect.stringContaining('Overloaded') });
  }, 20_000);

  it('an HTTP refusal is an http LlmError with the provider message', async () => {
    fake = await startFakeAnthropic([{ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }]);
    await expect(collect(lean(fake.url).streamText(ask()))).rejects.toMatchObject({ name: 'LlmError', kind: 'http', message: expect.stringContaining('Overloaded') });
    expect(calls.map((c) => c.status)).toEqual(['error']);
  });

  it('a stop aborts the HTTP request mid-stream and throws the signal reason; a timeout drops it', async () => {
    fake = await startFakeAnthropic([{ text: ['one ', 'two ', 'three'], chunkDelayMs: 30, hang: true }, { hang: true }]);
    const stop = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const piece of lean(fake!.url).streamText(ask(stop.signal))) {
        seen.push(piece);
        if (seen.length === 2) stop.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(stop.signal.reason);
    expect(seen).toEqual(['one ', 'two ']);
    await fake.waitForAbort();
    const timedOut = await collect(lean(fake.url, 200).streamText(ask())).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ name: 'LlmError', kind: 'timeout' });
    await fake.waitForAbort();
  });

  it('completes Anthropic`s own host with its version path, as the SDK does', () => {
    expect(anthropicBaseUrl(undefined)).toBe('https://api.anthropic.com/v1');
    expect(anthropicBaseUrl('https://api.anthropic.com/')).toBe('https://api.anthropic.com/v1');
    expect(anthropicBaseUrl('http://proxy.local/anthropic/v1/')).toBe('http://proxy.local/anthropic/v1');
  });
});
