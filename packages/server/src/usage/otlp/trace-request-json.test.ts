import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../formats/field-readers.js';
import { mapOtlpTraces } from './map-otlp-traces.js';
import { OTLP_TYPES } from './otlp-schema.js';
import { traceRequestJson } from './trace-request-json.js';

const { request } = OTLP_TYPES.traces;
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } });

/** What protobufjs' generic conversion makes of the bytes: the reference the fast reading must agree with. */
function generic(body: Uint8Array): JsonObject {
  return request.toObject(request.decode(body), { longs: String, enums: Number, bytes: String, defaults: false, arrays: true }) as JsonObject;
}

/** Requests covering what spans carry: every AnyValue kind, events, status, zero and huge 64-bit values, empty ids, no resource. */
function requests(): Uint8Array[] {
  const span = (i: number, extra: Record<string, unknown>) => ({
    traceId: Buffer.alloc(16, i + 1),
    spanId: Buffer.alloc(8, i + 1),
    name: `chat ${i}`,
    kind: 3,
    startTimeUnixNano: String(1767000000123456789n + BigInt(i)),
    endTimeUnixNano: String(1767000001123456789n + BigInt(i)),
    ...extra,
  });
  const genai = [str('gen_ai.request.model', 'gpt-4.1'), int('gen_ai.usage.input_tokens', 1200), int('gen_ai.usage.output_tokens', '80'), str('user.id', 'ana')];
  const messages = [
    {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'svc'), { key: 'host.arch', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 7 }] } } }] },
          scopeSpans: [
            {
              scope: { name: 'genai', version: '1.0' },
              spans: [
                span(0, { attributes: [...genai, str('gen_ai.response.id', 'resp_a'), { key: 'ratio', value: { doubleValue: 0.5 } }, { key: 'flag', value: { boolValue: false } }] }),
                // Counts in an event, not on the span; an error status; a negative and a huge int.
                span(1, {
                  attributes: [str('gen_ai.request.model', 'claude-sonnet-4'), int('neg', -5), int('big', '9223372036854775807')],
                  events: [{ name: 'gen_ai.client.inference.operation.details', timeUnixNano: '1767000000999000000', attributes: [int('gen_ai.usage.input_tokens', 10), int('gen_ai.usage.output_tokens', 2)] }],
                  status: { code: 2, message: 'boom' },
                }),
                // Zero times and an empty string value, a kvlist and bytes value, no ids.
                span(2, {
                  traceId: Buffer.alloc(0),
                  spanId: Buffer.alloc(0),
                  startTimeUnixNano: '0',
                  endTimeUnixNano: '0',
                  attributes: [...genai, str('empty', ''), { key: 'kv', value: { kvlistValue: { values: [str('a', 'b')] } } }, { key: 'raw', value: { bytesValue: Buffer.from('hi') } }],
                  status: { code: 0 },
                }),
                span(3, { attributes: [str('http.method', 'GET')] }),
              ],
            },
          ],
        },
        { scopeSpans: [{ spans: [span(4, { attributes: [...genai, int('gen_ai.usage.input_tokens', 0)] })] }] },
        {},
      ],
    },
    { resourceSpans: [] },
    {},
  ];
  return messages.map((m) => request.encode(request.fromObject(m)).finish());
}

describe('traceRequestJson', () => {
  it('maps to exactly the records and refusals the generic conversion maps to', () => {
    for (const body of requests()) {
      expect(mapOtlpTraces(traceRequestJson(request.decode(body)))).toEqual(mapOtlpTraces(generic(body)));
    }
  });

  it('writes the generic conversion, ids as hex instead of base64, without what the mapping never reads', () => {
    const unread = new Set(['entityRefs', 'links', 'traceState', 'flags', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount', 'schemaUrl']);
    const reference = (value: unknown, key = ''): unknown => {
      if (Array.isArray(value)) return value.map((v) => reference(v));
      if (value && typeof value === 'object') {
        const entries = Object.entries(value).filter(([k]) => !unread.has(k) && !(key === 'scope' && k === 'attributes'));
        return Object.fromEntries(entries.map(([k, v]) => [k, ['traceId', 'spanId', 'parentSpanId'].includes(k) ? Buffer.from(String(v), 'base64').toString('hex') : reference(v, k)]));
      }
      return value;
    };
    for (const body of requests()) {
      expect(JSON.parse(JSON.stringify(traceRequestJson(request.decode(body))))).toEqual(reference(JSON.parse(JSON.stringify(generic(body)))));
    }
  });
});
