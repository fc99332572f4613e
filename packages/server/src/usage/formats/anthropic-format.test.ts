import { describe, expect, it } from 'vitest';
import { anthropicFormat, mapAnthropicLine } from './anthropic-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const map = (value: unknown) => mapAnthropicLine(value, 3);
const only = (items: readonly MappedItem[]) => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
const sample = (...values: unknown[]): FormatSample => ({ framing: 'json', lines: [], values, head: '' });
const TS = '2026-11-20T10:00:00.000Z';

describe('anthropicFormat', () => {
  it('maps the FORMATS.md example: input_tokens EXCLUDES the cache and maps as is; 1-hour writes go apart, not added again', () => {
    const message = {
      id: 'msg_01A',
      model: 'claude-sonnet-4-5',
      usage: {
        input_tokens: 12,
        cache_creation_input_tokens: 3100,
        cache_read_input_tokens: 41000,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 3100 },
        output_tokens: 640,
        server_tool_use: { web_search_requests: 1 },
        service_tier: 'standard',
      },
    };
    expect(only(map({ timestamp: TS, ...message }))).toEqual({
      lineNumber: 3,
      record: expect.objectContaining({ id: 'msg_01A', ts: TS, provider: 'anthropic', inputTokens: 12, cacheReadTokens: 41000, cacheWriteTokens: 0, cacheWrite1hTokens: 3100, outputTokens: 640, batch: false }),
    });
  });

  it('splits the write total by TTL: the 5-minute part is what the 1-hour part leaves; no split means 5-minute', () => {
    const split = { input_tokens: 5, cache_creation_input_tokens: 3000, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 }, output_tokens: 9 };
    expect(only(map({ timestamp: TS, id: 'msg_s', model: 'claude-sonnet-4-5', usage: split }))).toMatchObject({ record: { cacheWriteTokens: 1000, cacheWrite1hTokens: 2000 } });
    const old = { input_tokens: 5, cache_creation_input_tokens: 3000, output_tokens: 9 };
    expect(only(map({ timestamp: TS, id: 'msg_o', model: 'claude-sonnet-4-5', usage: old }))).toMatchObject({ record: { cacheWriteTokens: 3000, cacheWrite1hTokens: 0 } });
    const inconsistent = { input_tokens: 5, cache_creation_input_tokens: 100, cache_creation: { ephemeral_1h_input_tokens: 2000 }, output_tokens: 9 };
    const refused = only(map({ timestamp: TS, id: 'msg_i', model: 'claude-sonnet-4-5', usage: inconsistent }));
    expect(refused).toMatchObject({ lineNumber: 3, error: expect.stringContaining('ephemeral_1h_input_tokens (2000) exceeds') });
  });

  it('sums the TTL split when only it was logged, and reads 0 for absent cache fields', () => {
    const usage = { input_tokens: 40, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 }, output_tokens: 200 };
    expect(only(map({ timestamp: TS, id: 'msg_d', model: 'claude-opus-4-5', usage }))).toMatchObject({ record: { inputTokens: 40, cacheWriteTokens: 1000, cacheWrite1hTokens: 2000, cacheReadTokens: 0 } });
  });

  it("reads a team's log wrapper with the time, request id, project and latency", () => {
    const line = { timestamp: '2026-11-20T10:02:00Z', request_id: 'req_1', project: 'support', latency_ms: 2310, response: { id: 'msg_c', type: 'message', model: 'claude-sonnet-4-5', usage: { input_tokens: 85, cache_read_input_tokens: 6200, output_tokens: 430 } } };
    expect(only(map(line))).toMatchObject({ record: { id: 'msg_c', ts: '2026-11-20T10:02:00.000Z', project: 'support', latencyMs: 2310, cacheReadTokens: 6200 } });
  });

  it('maps the FORMATS.md batch result example to batch=true and reports failed results', () => {
    const line = { custom_id: 'inv-7', timestamp: TS, result: { type: 'succeeded', message: { id: 'msg_b7', model: 'claude-haiku-4-5', usage: { input_tokens: 900, output_tokens: 120, service_tier: 'batch' } } } };
    expect(only(map(line))).toMatchObject({ record: { id: 'msg_b7', batch: true, interactive: false, inputTokens: 900, outputTokens: 120 } });
    const errored = { custom_id: 'inv-8', result: { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } } } };
    expect(only(map(errored))).toMatchObject({ error: expect.stringMatching(/inv-8 errored \(bad\)/) });
    expect(only(map({ custom_id: 'inv-9', result: { type: 'expired' } }))).toMatchObject({ error: expect.stringMatching(/inv-9 expired/) });
  });

  it("treats service_tier 'batch' in a plain message as batch traffic", () => {
    expect(only(map({ timestamp: TS, id: 'm', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1, service_tier: 'batch' } }))).toMatchObject({ record: { batch: true } });
  });

  it('needs a time on the line (the body has none) and says so', () => {
    expect(only(map({ id: 'msg_x', type: 'message', model: 'claude-sonnet-4-5', usage: { input_tokens: 1, output_tokens: 1 } }))).toMatchObject({ error: expect.stringMatching(/no time/) });
    expect(only(map({ timestamp: 'yesterday', id: 'msg_x', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } }))).toMatchObject({ error: expect.stringMatching(/timestamp: not a time/) });
    expect(only(map({ timestamp: 1795168800, id: 'm', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1 } }))).toMatchObject({ record: { ts: TS } });
  });

  it('reports an API error response and a line without usage', () => {
    expect(only(map({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))).toMatchObject({ error: expect.stringMatching(/Overloaded/) });
    expect(only(map({ timestamp: TS, id: 'm', model: 'claude-haiku-4-5' }))).toMatchObject({ error: 'no usage object' });
  });

  it('recognises messages and batch results, not Claude Code lines or OpenAI bodies', () => {
    expect(anthropicFormat.detect(sample({ type: 'message', usage: { input_tokens: 1 } }))).toBeGreaterThan(0.9);
    expect(anthropicFormat.detect(sample({ custom_id: 'a', result: { type: 'succeeded' } }))).toBeGreaterThan(0.9);
    expect(anthropicFormat.detect(sample({ timestamp: TS, response: { type: 'message', usage: {} } }))).toBeGreaterThan(0.8);
    expect(anthropicFormat.detect(sample({ type: 'assistant', sessionId: 's', message: { id: 'msg_1', usage: { input_tokens: 1 } } }))).toBe(0);
    expect(anthropicFormat.detect(sample({ object: 'chat.completion', usage: { prompt_tokens: 1 } }))).toBe(0);
  });
});
