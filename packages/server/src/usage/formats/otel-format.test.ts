import { describe, expect, it } from 'vitest';
import { attributesOf, hexId, mapOtlpRequest, otelFormat } from './otel-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.flatMap((i) => ('record' in i ? [i.record] : []));
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } });

function span(spanId: string, attributes: unknown[], over: Record<string, unknown> = {}) {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId,
    name: 'chat gpt-4.1',
    kind: 3,
    startTimeUnixNano: '1767000000123000000',
    endTimeUnixNano: '1767000001523456789',
    attributes,
    status: { code: 0 },
    ...over,
  };
}
const request = (...spans: unknown[]) => ({ resourceSpans: [{ resource: { attributes: [str('service.name', 'help-desk')] }, scopeSpans: [{ scope: { name: 'x' }, spans }] }] });

/** The FORMATS.md §4b example attribute list. */
const EXAMPLE = [str('gen_ai.operation.name', 'chat'), str('gen_ai.request.model', 'gpt-4.1'), int('gen_ai.usage.input_tokens', '1200'), int('gen_ai.usage.output_tokens', '85')];

describe('otelFormat', () => {
  it('maps the FORMATS.md example span: ns strings to ISO and ms with BigInt, ints as strings', () => {
    const [record] = records(mapOtlpRequest(request(span('eee19b7ec3c1b173', EXAMPLE)), 4));
    expect(record).toMatchObject({
      id: '5b8efff798038103d269b633813fc60c:eee19b7ec3c1b173',
      ts: '2025-12-29T09:20:00.123Z',
      model: 'gpt-4.1',
      inputTokens: 1200,
      outputTokens: 85,
      latencyMs: 1400.456789,
      project: 'help-desk',
      status: 'ok',
    });
  });

  it('maps one line with many spans to many records, skipping agent wrappers and spans without usage', () => {
    const items = mapOtlpRequest(
      request(
        span('0000000000000001', [str('gen_ai.operation.name', 'invoke_agent'), int('gen_ai.usage.input_tokens', 1200), int('gen_ai.usage.output_tokens', 85)]),
        span('0000000000000002', EXAMPLE),
        span('0000000000000003', [str('gen_ai.operation.name', 'execute_tool'), str('gen_ai.tool.name', 'lookup')]),
        span('0000000000000004', [str('http.method', 'GET')]),
        span('0000000000000005', EXAMPLE),
      ),
      1,
    );
    expect(records(items).map((r) => r.id?.slice(-1))).toEqual(['2', '5']);
  });

  it('subtracts cache read and creation when input_tokens includes them (the convention), else keeps it', () => {
    const anthropic = [str('gen_ai.provider.name', 'anthropic'), str('gen_ai.request.model', 'claude-sonnet-4-5'), int('gen_ai.usage.input_tokens', 44112), int('gen_ai.usage.cache_read.input_tokens', 41000), int('gen_ai.usage.cache_creation.input_tokens', 3100), int('gen_ai.usage.output_tokens', 640)];
    expect(records(mapOtlpRequest(request(span('a', anthropic)), 1))[0]).toMatchObject({ provider: 'anthropic', inputTokens: 12, cacheReadTokens: 41000, cacheWriteTokens: 3100 });
    const exclusive = [str('gen_ai.request.model', 'claude-sonnet-4-5'), int('gen_ai.usage.input_tokens', 12), int('gen_ai.usage.cache_read_input_tokens', 41000), int('gen_ai.usage.output_tokens', 1)];
    expect(records(mapOtlpRequest(request(span('b', exclusive)), 1))[0]).toMatchObject({ inputTokens: 12, cacheReadTokens: 41000 });
  });

  it("puts 1-hour cache writes apart where an instrumentation logs Anthropic's TTL split", () => {
    const base = [str('gen_ai.provider.name', 'anthropic'), str('gen_ai.request.model', 'claude-sonnet-4-5'), int('gen_ai.usage.input_tokens', 5112), int('gen_ai.usage.cache_creation.input_tokens', 5100), int('gen_ai.usage.output_tokens', 64)];
    const openInference = [...base, int('gen_ai.usage.cache_creation.ephemeral_1h_input_tokens', 3100)];
    expect(records(mapOtlpRequest(request(span('f', openInference)), 1))[0]).toMatchObject({ inputTokens: 12, cacheWriteTokens: 2000, cacheWrite1hTokens: 3100 });
    const dash0 = [...base, int('dash0.gen_ai.usage.cache_creation.ephemeral_5m.input_tokens', 100), int('dash0.gen_ai.usage.cache_creation.ephemeral_1h.input_tokens', 5000)];
    expect(records(mapOtlpRequest(request(span('g', dash0)), 1))[0]).toMatchObject({ inputTokens: 12, cacheWriteTokens: 100, cacheWrite1hTokens: 5000 });
    expect(records(mapOtlpRequest(request(span('h', base)), 1))[0]).toMatchObject({ cacheWriteTokens: 5100, cacheWrite1hTokens: 0 });
  });

  it('accepts bare numbers for ints and times, and the deprecated attribute names', () => {
    const old = [str('gen_ai.system', 'gcp.gemini'), str('gen_ai.request.model', 'gemini-2.5-flash'), int('gen_ai.usage.prompt_tokens', 500), int('gen_ai.usage.completion_tokens', 50)];
    const [record] = records(mapOtlpRequest(request(span('c', old, { startTimeUnixNano: 1767000000123000000, endTimeUnixNano: 1767000000923000000 })), 1));
    expect(record).toMatchObject({ provider: 'google', inputTokens: 500, outputTokens: 50, ts: '2025-12-29T09:20:00.123Z' });
    expect(record?.latencyMs).toBeCloseTo(800, 0);
  });

  it('maps span status and error.type to error or timeout', () => {
    const failed = records(mapOtlpRequest(request(span('d', EXAMPLE, { status: { code: 2, message: 'boom' } })), 1))[0];
    expect(failed).toMatchObject({ status: 'error' });
    const timedOut = records(mapOtlpRequest(request(span('e', [...EXAMPLE, str('error.type', 'timeout')], { status: { code: 2 } })), 1))[0];
    expect(timedOut).toMatchObject({ status: 'timeout' });
  });

  it('reports a span with usage but no model, or a bad time, naming the span', () => {
    const items = mapOtlpRequest(request(span('eee19b7ec3c1b173', [int('gen_ai.usage.input_tokens', 1)]), span('eee19b7ec3c1b174', EXAMPLE, { startTimeUnixNano: 'soon' })), 9);
    expect(items).toEqual([
      { lineNumber: 9, error: 'span eee19b7ec3c1b173: no gen_ai.request.model or gen_ai.response.model' },
      { lineNumber: 9, error: expect.stringMatching(/^span eee19b7ec3c1b174: startTimeUnixNano/) },
    ]);
    expect(mapOtlpRequest({ spans: [] }, 2)).toEqual([{ lineNumber: 2, error: expect.stringMatching(/OTLP/) }]);
  });

  it('reads hex ids case-insensitively and converts base64 ids by their length', () => {
    expect(hexId('5B8EFFF798038103D269B633813FC60C', 32)).toBe('5b8efff798038103d269b633813fc60c');
    expect(hexId(Buffer.from('5b8efff798038103d269b633813fc60c', 'hex').toString('base64'), 32)).toBe('5b8efff798038103d269b633813fc60c');
    expect(hexId(Buffer.from('eee19b7ec3c1b173', 'hex').toString('base64'), 16)).toBe('eee19b7ec3c1b173');
  });

  it('reads every OTLP value kind', () => {
    expect(attributesOf([str('a', 'x'), int('b', '7'), { key: 'c', value: { doubleValue: 1.5 } }, { key: 'd', value: { boolValue: true } }, { key: 'e', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } }])).toEqual({
      a: 'x',
      b: '7',
      c: 1.5,
      d: true,
      e: ['stop'],
    });
  });

  it('recognises an export request, parsed or only begun in the sample', () => {
    const sample = (values: unknown[], head = ''): FormatSample => ({ framing: 'json', lines: [], values, head });
    expect(otelFormat.detect(sample([request()]))).toBeGreaterThan(0.95);
    expect(otelFormat.detect(sample([], '{\n  "resourceSpans": [\n'))).toBeGreaterThan(0.8);
    expect(otelFormat.detect(sample([{ spans: [] }]))).toBe(0);
  });
});
