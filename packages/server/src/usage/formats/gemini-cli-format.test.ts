import { describe, expect, it } from 'vitest';
import { geminiCliFormat, mapGeminiTelemetry } from './gemini-cli-format.js';
import type { MappedItem } from './usage-format.js';

const response = {
  'session.id': 'c1b4-77',
  'event.name': 'gemini_cli.api_response',
  'event.timestamp': '2026-11-19T11:07:32.000Z',
  model: 'gemini-2.5-pro',
  status_code: 200,
  duration_ms: 5120,
  input_token_count: 15327,
  output_token_count: 23,
  cached_content_token_count: 11526,
  thoughts_token_count: 919,
  tool_token_count: 7,
  total_token_count: 16276,
  prompt_id: 'p-9',
  auth_type: 'oauth-personal',
};
/** An SDK log record as the telemetry outfile writes it. */
const sdkRecord = (attributes: Record<string, unknown>) => ({ resource: { attributes: { 'service.name': 'gemini-cli' } }, hrTime: [1763550452, 0], attributes, _body: 'API response' });
const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));

describe('geminiCliFormat', () => {
  it('maps an api_response log record: cached tokens are inside input_token_count, tool tokens beside it, thoughts billed as output', () => {
    expect(records(mapGeminiTelemetry(sdkRecord(response), 3))).toEqual([
      expect.objectContaining({ id: 'c1b4-77:2026-11-19T11:07:32.000Z:p-9', ts: '2026-11-19T11:07:32.000Z', provider: 'google', model: 'gemini-2.5-pro', inputTokens: 15327 - 11526 + 7, cacheReadTokens: 11526, outputTokens: 23 + 919, reasoningTokens: 919, latencyMs: 5120, status: 'ok', feature: 'gemini-cli' }),
    ]);
  });

  it('counts only the api_response log: requests, the token.usage metric and GenAI spans repeating it add nothing', () => {
    expect(mapGeminiTelemetry(sdkRecord({ ...response, 'event.name': 'gemini_cli.api_request' }), 1)).toEqual([]);
    expect(mapGeminiTelemetry({ descriptor: { name: 'gemini_cli.token.usage' }, dataPoints: [{ attributes: { type: 'input' }, value: 15327 }] }, 2)).toEqual([]);
    expect(mapGeminiTelemetry({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'gemini_cli.token.usage', sum: { dataPoints: [{ asInt: '15327' }] } }] }] }] }, 3)).toEqual([]);
    expect(mapGeminiTelemetry({ name: 'llm_call', attributes: { 'gen_ai.usage.input_tokens': 15327 } }, 4)).toEqual([]);
  });

  it('reads an OTLP/JSON logs export: attribute lists, the record time when the event has none', () => {
    const attrs = Object.entries({ ...response, 'event.timestamp': undefined }).filter(([, v]) => v !== undefined).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
    const otlp = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1763550452000000000', attributes: attrs }, { timeUnixNano: '1', attributes: [{ key: 'event.name', value: { stringValue: 'gemini_cli.user_prompt' } }] }] }] }] };
    expect(records(mapGeminiTelemetry(otlp, 1))).toEqual([expect.objectContaining({ ts: '2025-11-19T11:07:32.000Z', inputTokens: 3808, cacheReadTokens: 11526 })]);
  });

  it('marks failed calls and reports impossible counts', () => {
    expect(records(mapGeminiTelemetry(sdkRecord({ ...response, status_code: 429, output_token_count: 0, thoughts_token_count: 0 }), 1))).toEqual([expect.objectContaining({ status: 'error' })]);
    expect(records(mapGeminiTelemetry(sdkRecord({ ...response, cached_content_token_count: 20000 }), 1))).toEqual([expect.stringMatching(/exceeds input_token_count/)]);
  });

  it('is detected by a gemini_cli event, above otel for a gemini-cli OTLP export', () => {
    const sample = (values: unknown[], head = '') => ({ framing: 'json' as const, lines: [], head, values });
    expect(geminiCliFormat.detect(sample([sdkRecord(response)]))).toBe(0.99);
    expect(geminiCliFormat.detect(sample([{ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }] } }] }]))).toBeGreaterThan(0.99);
    expect(geminiCliFormat.detect(sample([], '{\n  "attributes": {\n    "event.name": "gemini_cli.config"'))).toBe(0.9);
    expect(geminiCliFormat.detect(sample([{ resourceSpans: [] }]))).toBe(0);
  });
});
