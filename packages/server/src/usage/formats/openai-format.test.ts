import { describe, expect, it } from 'vitest';
import { mapOpenAiLine, openaiFormat } from './openai-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const map = (value: unknown) => mapOpenAiLine(value, 7);
const only = (items: readonly MappedItem[]) => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
const sample = (...values: unknown[]): FormatSample => ({ framing: 'json', lines: [], values, head: '' });

describe('openaiFormat', () => {
  it('maps the FORMATS.md Chat Completions example: cached tokens are a subset of the prompt, subtracted', () => {
    const line = {
      id: 'chatcmpl-x1',
      created: 1767000000,
      model: 'gpt-4o-mini-2024-07-18',
      usage: { prompt_tokens: 2100, completion_tokens: 90, total_tokens: 2190, prompt_tokens_details: { cached_tokens: 1920 }, completion_tokens_details: { reasoning_tokens: 0 } },
    };
    expect(only(map(line))).toEqual({
      lineNumber: 7,
      record: expect.objectContaining({
        id: 'chatcmpl-x1',
        ts: '2025-12-29T09:20:00.000Z',
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        inputTokens: 180,
        cacheReadTokens: 1920,
        cacheWriteTokens: 0,
        outputTokens: 90,
        reasoningTokens: 0,
        status: 'ok',
        batch: false,
        interactive: true,
      }),
    });
  });

  it('maps the FORMATS.md Responses example: cached subtracted, reasoning kept inside the output', () => {
    const line = {
      id: 'resp_9a',
      created_at: 1767000100,
      status: 'completed',
      model: 'gpt-5',
      usage: { input_tokens: 5400, input_tokens_details: { cached_tokens: 4096 }, output_tokens: 700, output_tokens_details: { reasoning_tokens: 512 }, total_tokens: 6100 },
    };
    expect(only(map(line))).toMatchObject({ record: { id: 'resp_9a', inputTokens: 1304, cacheReadTokens: 4096, outputTokens: 700, reasoningTokens: 512 } });
  });

  it('subtracts cache_write_tokens too (newer API versions)', () => {
    const line = { id: 'c', created: 1767000000, model: 'gpt-4.1', usage: { prompt_tokens: 1000, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 300, cache_write_tokens: 200 } } };
    expect(only(map(line))).toMatchObject({ record: { inputTokens: 500, cacheReadTokens: 300, cacheWriteTokens: 200 } });
  });

  it("reads DeepSeek's hit/miss partition as cached input", () => {
    const line = { id: 'c', created: 1767000000, model: 'deepseek-chat', usage: { prompt_tokens: 1000, completion_tokens: 5, prompt_cache_hit_tokens: 800, prompt_cache_miss_tokens: 200 } };
    const item = only(map(line));
    expect(item).toMatchObject({ record: { inputTokens: 200, cacheReadTokens: 800 } });
    // Not an OpenAI model: the provider is left for the model id to decide.
    expect('record' in item && item.record.provider).toBeUndefined();
  });

  it('maps the FORMATS.md Batch example: batch=true, not interactive, keyed by the batch request id', () => {
    const line = {
      id: 'batch_req_01',
      custom_id: 'doc-17',
      response: { status_code: 200, request_id: 'r-5c1', body: { id: 'chatcmpl-b1', created: 1767001000, model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 } } },
      error: null,
    };
    expect(only(map(line))).toMatchObject({ record: { id: 'batch_req_01', batch: true, interactive: false, inputTokens: 20, outputTokens: 10 } });
  });

  it('decides the usage shape per line: one batch file mixes Chat and Responses bodies', () => {
    const responses = {
      id: 'batch_req_02',
      custom_id: 'doc-18',
      response: { status_code: 200, body: { id: 'resp_b2', created_at: 1767001005, status: 'completed', model: 'gpt-4.1-mini', usage: { input_tokens: 1500, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 300 } } },
      error: null,
    };
    expect(only(map(responses))).toMatchObject({ record: { inputTokens: 476, cacheReadTokens: 1024, outputTokens: 300, batch: true } });
  });

  it('reports a failed batch request (status_code ≠ 200) with its reason: it has no usage', () => {
    const line = { id: 'batch_req_03', custom_id: 'doc-19', response: { status_code: 400, request_id: 'r', body: { error: { message: 'Invalid model', type: 'invalid_request_error' } } }, error: null };
    expect(only(map(line))).toEqual({ lineNumber: 7, error: expect.stringMatching(/doc-19 failed \(HTTP 400: Invalid model\)/) });
    const expired = { id: 'batch_req_04', custom_id: 'doc-20', response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } };
    expect(only(map(expired))).toMatchObject({ error: expect.stringMatching(/doc-20 failed/) });
  });

  it('marks failed and cancelled Responses as errors and skips ones still in progress', () => {
    const base = { id: 'resp_x', created_at: 1767000000, model: 'gpt-5', usage: { input_tokens: 300, output_tokens: 0 } };
    expect(only(map({ ...base, status: 'failed', error: { code: 'server_error', message: 'x' } }))).toMatchObject({ record: { status: 'error' } });
    expect(only(map({ ...base, status: 'cancelled' }))).toMatchObject({ record: { status: 'error' } });
    expect(only(map({ ...base, status: 'incomplete' }))).toMatchObject({ record: { status: 'ok' } });
    expect(map({ ...base, status: 'in_progress', usage: null })).toEqual([]);
  });

  it('takes usage from the last streamed chunk only and skips the chunks without it', () => {
    const chunk = { id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1767000300, model: 'gpt-4o', choices: [{ delta: { content: 'Hi' } }], usage: null };
    expect(map(chunk)).toEqual([]);
    expect(only(map({ ...chunk, choices: [], usage: { prompt_tokens: 950, completion_tokens: 120 } }))).toMatchObject({ record: { inputTokens: 950, outputTokens: 120 } });
  });

  it('reads a response.completed stream event and skips other events', () => {
    const response = { id: 'resp_e', object: 'response', created_at: 1767000000, status: 'completed', model: 'gpt-5', usage: { input_tokens: 10, output_tokens: 2 } };
    expect(only(map({ type: 'response.completed', response }))).toMatchObject({ record: { id: 'resp_e', inputTokens: 10 } });
    expect(map({ type: 'response.output_text.delta', delta: 'x' })).toEqual([]);
  });

  it("reads a team's log wrapper: project, feature, user and latency around the body", () => {
    const line = {
      timestamp: '2025-12-29T09:26:40Z',
      project: 'support',
      feature: 'chatbot',
      user: 'cust-17',
      latency_ms: 1840,
      response: { id: 'chatcmpl-x4', created: 1767000400, model: 'gpt-4.1', usage: { prompt_tokens: 3000, completion_tokens: 210, prompt_tokens_details: { cached_tokens: 2048 } } },
    };
    expect(only(map(line))).toMatchObject({ record: { project: 'support', feature: 'chatbot', user: 'cust-17', latencyMs: 1840, inputTokens: 952 } });
  });

  it('reports impossible or missing counts instead of storing a negative input', () => {
    const base = { id: 'c', created: 1767000000, model: 'gpt-4o' };
    expect(only(map({ ...base, usage: { prompt_tokens: 100, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 101 } } }))).toMatchObject({
      error: expect.stringMatching(/cached \(101\).*exceed the prompt_tokens \(100\)/),
    });
    expect(only(map({ ...base, usage: { prompt_tokens: '12x', completion_tokens: 1 } }))).toMatchObject({ error: expect.stringMatching(/usage.prompt_tokens/) });
    expect(only(map({ ...base, usage: { foo: 1 } }))).toMatchObject({ error: expect.stringMatching(/neither prompt_tokens/) });
    expect(only(map({ id: 'c', model: 'gpt-4o', usage: { prompt_tokens: 1, completion_tokens: 1 } }))).toMatchObject({ error: expect.stringMatching(/no time/) });
    expect(only(map({ ...base, usage: { prompt_tokens: 1, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 5 } } }))).toMatchObject({
      error: expect.stringMatching(/^reasoningTokens/),
    });
    expect(only(map('nope'))).toMatchObject({ error: 'expected a JSON object' });
  });

  it('recognises each OpenAI shape and not the others', () => {
    expect(openaiFormat.detect(sample({ object: 'chat.completion', usage: {} }))).toBeGreaterThan(0.9);
    expect(openaiFormat.detect(sample({ object: 'response', usage: {} }))).toBeGreaterThan(0.9);
    expect(openaiFormat.detect(sample({ id: 'batch_req_1', custom_id: 'a', response: null, error: {} }))).toBeGreaterThan(0.9);
    expect(openaiFormat.detect(sample({ id: 'chatcmpl-1', usage: { prompt_tokens: 1 } }))).toBeGreaterThan(0.8);
    expect(openaiFormat.detect(sample({ ts: '2026-01-01T00:00:00Z', model: 'm', inputTokens: 1, outputTokens: 1 }))).toBe(0);
    expect(openaiFormat.detect(sample({ custom_id: 'a', result: { type: 'succeeded' } }))).toBe(0);
    expect(openaiFormat.detect(sample({ type: 'message', id: 'msg_1', usage: { input_tokens: 1 } }))).toBe(0);
  });
});
