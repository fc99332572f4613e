import { describe, expect, it } from 'vitest';
import type { MappedItem } from '../formats/usage-format.js';
import { mapOtlpTraces } from './map-otlp-traces.js';

const records = (items: readonly MappedItem[]) => items.flatMap((i) => ('record' in i ? [i.record] : []));
const errors = (items: readonly MappedItem[]) => items.flatMap((i) => ('error' in i ? [i] : []));
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } });

const TRACE = '5b8efff798038103d269b633813fc60c';
function span(spanId: string, attributes: unknown[], over: Record<string, unknown> = {}) {
  return { traceId: TRACE, spanId, name: 'chat', startTimeUnixNano: '1767000000123000000', endTimeUnixNano: '1767000000623000000', attributes, ...over };
}
const request = (...spans: unknown[]) => ({ resourceSpans: [{ resource: { attributes: [str('service.name', 'support-bot')] }, scopeSpans: [{ spans }] }] });

const CHAT = [str('gen_ai.operation.name', 'chat'), str('gen_ai.provider.name', 'anthropic'), str('gen_ai.request.model', 'claude-sonnet-4-5'), int('gen_ai.usage.input_tokens', '1500'), int('gen_ai.usage.output_tokens', 300)];

describe('mapOtlpTraces', () => {
  it('maps GenAI spans with the file format mapping, keyed by gen_ai.response.id when present, else by trace and span', () => {
    const { received, items } = mapOtlpTraces(
      request(
        span('00000000000000a1', [...CHAT, str('gen_ai.response.id', 'msg_01'), int('gen_ai.usage.cache_read.input_tokens', 1000), str('user.id', 'ana@example.com')]),
        span('00000000000000a2', CHAT),
      ),
    );
    expect(received).toBe(2);
    expect(records(items)).toEqual([
      expect.objectContaining({ id: 'msg_01', provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 500, cacheReadTokens: 1000, outputTokens: 300, latencyMs: 500, project: 'support-bot', user: 'ana@example.com' }),
      expect.objectContaining({ id: `${TRACE}:00000000000000a2`, inputTokens: 1500 }),
    ]);
  });

  it('reads a span event carrying the counts when its span has none, as one call', () => {
    const event = { name: 'gen_ai.client.inference.operation.details', timeUnixNano: '1767000000500000000', attributes: [int('gen_ai.usage.input_tokens', 40), int('gen_ai.usage.output_tokens', 2), str('gen_ai.response.model', 'gpt-4.1-mini')] };
    const other = { name: 'log', attributes: [str('message', 'hi')] };
    const { items } = mapOtlpTraces(request(span('00000000000000b1', [str('gen_ai.request.model', 'gpt-4.1'), str('gen_ai.provider.name', 'openai')], { events: [other, event, event] })));
    expect(records(items)).toEqual([expect.objectContaining({ id: `${TRACE}:00000000000000b1`, model: 'gpt-4.1-mini', provider: 'openai', inputTokens: 40, outputTokens: 2 })]);
  });

  it('counts every span as received, ignores spans that are not calls and wrappers, and refuses a GenAI span it cannot read', () => {
    const { received, items } = mapOtlpTraces(
      request(
        span('00000000000000c1', [str('http.method', 'GET')]),
        span('00000000000000c2', [...CHAT, str('gen_ai.operation.name', 'invoke_agent')]),
        span('00000000000000c3', [int('gen_ai.usage.input_tokens', 'many')]),
      ),
    );
    expect(received).toBe(3);
    expect(records(items)).toEqual([]);
    expect(errors(items)).toEqual([{ lineNumber: 3, error: expect.stringMatching(/span 00000000000000c3: gen_ai.usage.input_tokens: expected a whole number/) }]);
  });

  it('refuses an item that is not a span object on its own, counted and numbered, and maps the rest', () => {
    const { received, items } = mapOtlpTraces(request(42, span('00000000000000c4', CHAT), null));
    expect(received).toBe(3);
    expect(records(items)).toHaveLength(1);
    expect(errors(items)).toEqual([
      { lineNumber: 1, error: 'not an OTLP span (a JSON object)' },
      { lineNumber: 3, error: 'not an OTLP span (a JSON object)' },
    ]);
  });

  it('reads protobuf-decoded ids (base64) as hex, as OTLP/JSON writes them', () => {
    const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const { items } = mapOtlpTraces(request(span(base64('00000000000000d1'), CHAT, { traceId: base64(TRACE) })));
    expect(records(items)[0]?.id).toBe(`${TRACE}:00000000000000d1`);
  });
});
