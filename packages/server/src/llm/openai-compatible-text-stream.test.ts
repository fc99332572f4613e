import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LlmError, type LlmCall } from './language-model-client.js';
import { createOpenAiCompatibleClient } from './openai-compatible-client.js';

/** An endpoint that answers every request with `body` as one SSE write (several events in one read). */
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

async function endpoint(body: string, status = 200): Promise<string> {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': status === 200 ? 'text/event-stream' : 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

/** An endpoint that writes each of `writes` apart, `gapMs` after the one before (a paced stream: one read each). */
async function pacedEndpoint(writes: string[], gapMs: number): Promise<string> {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const w of writes) {
        res.write(w);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      res.end();
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const event = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const text = (content: string) => event({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const ask = () => ({ system: 's', prompt: 'p', signal: new AbortController().signal, feature: 'reporting' });

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

describe('lean OpenAI-compatible text stream (the plain answer path)', () => {
  it('yields the texts of one read as one piece, in order, and records the cached and reasoning tokens in their buckets', async () => {
    const usage = { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 5 } };
    const url = await endpoint(text('a') + text('') + event({ choices: [{ index: 0, delta: { role: 'assistant' } }] }) + text('b') + text('c') + event({ choices: [], usage }) + event('[DONE]'));
    const calls: LlmCall[] = [];
    const llm = createOpenAiCompatibleClient({ baseUrl: url, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0, recordCall: async (c) => void calls.push(c) });
    expect(await collect(llm.streamText(ask()))).toEqual(['abc']);
    expect(calls).toEqual([expect.objectContaining({ feature: 'reporting', status: 'ok', inputTokens: 40, cacheReadTokens: 60, cacheWriteTokens: 0, outputTokens: 20, reasoningTokens: 5 })]);
  });

  it('a paced stream (one chunk a read) comes chunk by chunk; a huge read comes in pieces of at most 16 KiB, no text split', async () => {
    const paced = await pacedEndpoint([text('one '), text('two '), text('three') + event('[DONE]')], 30);
    const llm = createOpenAiCompatibleClient({ baseUrl: paced, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0 });
    expect(await collect(llm.streamText(ask()))).toEqual(['one ', 'two ', 'three']);
    server?.closeAllConnections();
    await new Promise<void>((done) => server!.close(() => done()));
    const words = Array.from({ length: 3_000 }, (_, i) => `word${String(i).padStart(4, '0')} `);
    const burst = await endpoint(words.map(text).join('') + event('[DONE]'));
    const pieces = await collect(createOpenAiCompatibleClient({ baseUrl: burst, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0 }).streamText(ask()));
    expect(pieces.join('')).toBe(words.join(''));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.length).toBeLessThan(words.length / 10);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(16 * 1024);
      expect(piece.endsWith(' ')).toBe(true);
    }
  });

  it('an error the provider sends inside the stream fails the answer (after the text before it) and is recorded as an error', async () => {
    const url = await endpoint(text('partial ') + event({ error: { message: 'overloaded', type: 'server_error' } }));
    const calls: LlmCall[] = [];
    const llm = createOpenAiCompatibleClient({ baseUrl: url, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0, recordCall: async (c) => void calls.push(c) });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const piece of llm.streamText(ask())) seen.push(piece);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['partial ']);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).message).toContain('overloaded');
    expect(calls).toEqual([expect.objectContaining({ status: 'error' })]);
  });

  it('a stream event that is not JSON fails the answer with an LlmError, not a crash', async () => {
    const url = await endpoint(text('x') + event('{"choices": [') + event('[DONE]'));
    const llm = createOpenAiCompatibleClient({ baseUrl: url, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0 });
    await expect(collect(llm.streamText(ask()))).rejects.toMatchObject({ name: 'LlmError', message: expect.stringContaining('not JSON') });
  });

  it('an HTTP refusal is an http LlmError with the provider message; no endpoint at all is a network one', async () => {
    const url = await endpoint(JSON.stringify({ error: { message: 'model not found' } }), 404);
    const llm = createOpenAiCompatibleClient({ baseUrl: url, apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0 });
    await expect(collect(llm.streamText(ask()))).rejects.toMatchObject({ name: 'LlmError', kind: 'http', message: expect.stringContaining('model not found') });
    const nowhere = createOpenAiCompatibleClient({ baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'k', model: 'm', timeoutMs: 5_000, maxRetries: 0 });
    await expect(collect(nowhere.streamText(ask()))).rejects.toMatchObject({ name: 'LlmError', kind: 'network' });
  });
});
