import { describe, expect, it } from 'vitest';
import type { MappedItem } from '../formats/usage-format.js';
import { mapOtlpLogs } from './map-otlp-logs.js';
import { mapOtlpTraces } from './map-otlp-traces.js';

const records = (items: readonly MappedItem[]) => items.flatMap((i) => ('record' in i ? [i.record] : []));
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } });
const dbl = (key: string, value: number) => ({ key, value: { doubleValue: value } });
const request = (service: string, scope: string, ...logRecords: unknown[]) => ({
  resourceLogs: [{ resource: { attributes: [str('service.name', service)] }, scopeLogs: [{ scope: { name: scope }, logRecords }] }],
});
const TIME = '1767000000000000000';

/** A `claude_code.api_request` event as Claude Code exports it (docs: Monitoring, Events). */
const claudeApiRequest = (over: unknown[] = []) => ({
  timeUnixNano: TIME,
  body: { stringValue: 'claude_code.api_request' },
  attributes: [
    str('event.name', 'api_request'),
    str('event.timestamp', '2026-11-30T10:00:00.250Z'),
    str('session.id', 'sess-1'),
    str('user.id', 'device-9'),
    str('user.email', 'ana@example.com'),
    str('model', 'claude-sonnet-4-5-20250929'),
    dbl('cost_usd', 0.0123),
    int('duration_ms', 2100),
    int('input_tokens', 12),
    int('output_tokens', 480),
    int('cache_read_tokens', 20000),
    int('cache_creation_tokens', 1500),
    ...over,
  ],
});

describe('mapOtlpLogs', () => {
  it('maps Claude Code api_request events with Anthropic semantics, the person and a (session, time) key', () => {
    const { received, items } = mapOtlpLogs(request('claude-code', 'com.anthropic.claude_code.events', claudeApiRequest(), { timeUnixNano: TIME, body: { stringValue: 'claude_code.user_prompt' }, attributes: [str('event.name', 'user_prompt')] }));
    expect(received).toBe(2);
    expect(records(items)).toEqual([
      expect.objectContaining({
        id: 'sess-1:2026-11-30T10:00:00.250Z',
        ts: '2026-11-30T10:00:00.250Z',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        inputTokens: 12,
        outputTokens: 480,
        cacheReadTokens: 20000,
        cacheWriteTokens: 1500,
        costUsd: 0.0123,
        latencyMs: 2100,
        feature: 'claude-code',
        user: 'ana@example.com',
      }),
    ]);
  });

  it('keys a Claude Code event by its request id when it has one', () => {
    const { items } = mapOtlpLogs(request('claude-code', 'x', claudeApiRequest([str('request_id', 'req_011')])));
    expect(records(items)[0]?.id).toBe('req_011');
  });

  it('refuses a Claude Code event it cannot read, naming the field', () => {
    const { items } = mapOtlpLogs(request('claude-code', 'x', claudeApiRequest([str('input_tokens', '-3')])));
    expect(items).toEqual([{ lineNumber: 1, error: expect.stringContaining('input_tokens: expected a whole number') }]);
  });

  it('refuses an item that is not a log record object on its own, counted and numbered, and maps the rest', () => {
    const { received, items } = mapOtlpLogs(request('claude-code', 'x', 'hello', claudeApiRequest()));
    expect(received).toBe(2);
    expect(items).toEqual([{ lineNumber: 1, error: 'not an OTLP log record (a JSON object)' }, expect.objectContaining({ lineNumber: 2, record: expect.anything() })]);
  });

  it('maps Codex response.completed events (cached inside input, reasoning inside output) and skips its other events', () => {
    const completed = {
      timeUnixNano: TIME,
      attributes: [
        str('event.name', 'codex.sse_event'),
        str('event.kind', 'response.completed'),
        str('event.timestamp', '2026-11-30T11:00:00.000Z'),
        str('conversation.id', 'conv-7'),
        str('model', 'gpt-5-codex'),
        str('user.email', 'bo@example.com'),
        int('input_token_count', 9000),
        int('cached_token_count', 8000),
        int('output_token_count', 700),
        int('reasoning_token_count', 500),
      ],
    };
    const delta = { timeUnixNano: TIME, attributes: [str('event.name', 'codex.sse_event'), str('event.kind', 'response.output_text.delta')] };
    const apiRequest = { timeUnixNano: TIME, attributes: [str('event.name', 'codex.api_request'), int('duration_ms', 900)] };
    const { received, items } = mapOtlpLogs(request('codex_cli_rs', 'codex_otel', completed, delta, apiRequest));
    expect(received).toBe(3);
    expect(records(items)).toEqual([
      expect.objectContaining({ id: 'conv-7:2026-11-30T11:00:00.000Z', provider: 'openai', model: 'gpt-5-codex', inputTokens: 1000, cacheReadTokens: 8000, outputTokens: 700, reasoningTokens: 500, feature: 'codex', user: 'bo@example.com' }),
    ]);
  });

  it('maps Gemini CLI api_response events with the file format mapping, and keeps the person', () => {
    const response = {
      timeUnixNano: TIME,
      attributes: [
        str('event.name', 'gemini_cli.api_response'),
        str('event.timestamp', '2026-11-30T12:00:00.000Z'),
        str('session.id', 'g-1'),
        str('user.email', 'cy@example.com'),
        str('model', 'gemini-2.5-pro'),
        int('input_token_count', 5000),
        int('cached_content_token_count', 1000),
        int('output_token_count', 200),
        int('thoughts_token_count', 50),
        int('duration_ms', 800),
      ],
    };
    const { items } = mapOtlpLogs(request('gemini-cli', 'gemini-cli', response));
    expect(records(items)).toEqual([expect.objectContaining({ provider: 'google', model: 'gemini-2.5-pro', inputTokens: 4000, cacheReadTokens: 1000, outputTokens: 250, user: 'cy@example.com', feature: 'gemini-cli' })]);
  });

  it('keys a GenAI event log record like its span, so a call exported as both is one key', () => {
    const attributes = [str('gen_ai.provider.name', 'openai'), str('gen_ai.request.model', 'gpt-4.1'), str('gen_ai.response.id', 'chatcmpl-1'), int('gen_ai.usage.input_tokens', 100), int('gen_ai.usage.output_tokens', 10)];
    const asLog = records(mapOtlpLogs(request('svc', 'genai', { timeUnixNano: TIME, eventName: 'gen_ai.client.inference.operation.details', attributes })).items);
    const asSpan = records(mapOtlpTraces({ resourceSpans: [{ resource: { attributes: [str('service.name', 'svc')] }, scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), startTimeUnixNano: TIME, attributes }] }] }] }).items);
    expect(asLog).toHaveLength(1);
    expect(asLog[0]?.id).toBe('chatcmpl-1');
    expect(asSpan[0]?.id).toBe('chatcmpl-1');
    expect(asLog[0]?.provider).toBe(asSpan[0]?.provider);
  });
});
