import protobuf from 'protobufjs/light.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../formats/field-readers.js';
import { mapOtlpTraces } from './map-otlp-traces.js';
import { OTLP_TYPES } from './otlp-schema.js';
import { isAppError } from '../../app-error.js';
import { mapOtlpTraceProtobuf } from './map-otlp-trace-protobuf.js';

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
                // Refused: a negative count and no model; a wrapper span (never a call); deprecated names and the cache split.
                span(5, { attributes: [int('gen_ai.usage.input_tokens', -3), int('gen_ai.usage.output_tokens', '2')] }),
                span(6, { attributes: [...genai, str('gen_ai.operation.name', 'invoke_agent')] }),
                span(7, {
                  attributes: [
                    str('gen_ai.system', 'az_ai_openai'),
                    str('gen_ai.response.model', 'gpt-4o'),
                    int('gen_ai.usage.prompt_tokens', 900),
                    int('gen_ai.usage.completion_tokens', 30),
                    int('gen_ai.usage.cache_read_input_tokens', 100),
                    int('gen_ai.usage.cache_creation.input_tokens', 50),
                    int('gen_ai.usage.cache_creation.ephemeral_1h_input_tokens', 20),
                    int('gen_ai.usage.reasoning_tokens', 10),
                    { key: 'gen_ai.usage.cost', value: { doubleValue: 0.0123 } },
                    int('gen_ai.request.max_tokens', 4096),
                    str('error.type', 'timeout'),
                    str('enduser.id', 'bo'),
                  ],
                }),
                // A time past what a date can hold: refused with the value it had.
                span(8, { attributes: genai, startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' }),
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

describe('mapOtlpTraceProtobuf', () => {
  // One clock for every mapping compared: a refusal of a time in the future names the server's time.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('maps a request to exactly the records and refusals its OTLP/JSON form maps to', () => {
    let records = 0;
    let refusals = 0;
    for (const body of requests()) {
      const decoded = mapOtlpTraceProtobuf(body);
      expect(decoded).toEqual(mapOtlpTraces(generic(body)));
      for (const item of decoded.items) if ('record' in item) records += 1;
      else refusals += 1;
    }
    // The requests exercise both sides: calls kept, and calls refused with their reasons.
    expect(records).toBeGreaterThanOrEqual(4);
    expect(refusals).toBeGreaterThanOrEqual(2);
  });

  it('reads a resource that comes after its spans on the wire, and fields it does not know', () => {
    const body = Buffer.from(requests()[0]!);
    // The first ResourceSpans' fields, reordered: scope_spans before resource; then an unknown field (99, varint).
    const reader = protobuf.Reader.create(body);
    expect(reader.uint32()).toBe((1 << 3) | 2);
    const length = reader.uint32();
    const inner = body.subarray(reader.pos, reader.pos + length);
    const rest = body.subarray(reader.pos + length);
    const fields: Buffer[] = [];
    const innerReader = protobuf.Reader.create(inner);
    while (innerReader.pos < innerReader.len) {
      const start = innerReader.pos;
      innerReader.skipType(innerReader.uint32() & 7);
      fields.push(inner.subarray(start, innerReader.pos));
    }
    const reordered = Buffer.concat([...fields.slice(1), fields[0]!, Buffer.from([(99 << 3) & 0x7f | 0x80, 99 >> 4, 7])]);
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).bytes(reordered);
    const moved = Buffer.concat([writer.finish(), rest]);
    expect(mapOtlpTraceProtobuf(moved)).toEqual(mapOtlpTraceProtobuf(body));
    expect(mapOtlpTraceProtobuf(moved)).toEqual(mapOtlpTraces(generic(moved)));
  });

  it('answers a truncated or corrupted body with VALIDATION_FAILED, never another error', () => {
    const body = Buffer.from(requests()[0]!);
    const outcomes = { read: 0, refused: 0 };
    const attempt = (bytes: Buffer) => {
      try {
        mapOtlpTraceProtobuf(bytes);
        outcomes.read += 1;
      } catch (error) {
        expect(isAppError(error) && error.code === 'VALIDATION_FAILED').toBe(true);
        outcomes.refused += 1;
      }
    };
    for (let cut = 1; cut < body.length; cut++) attempt(body.subarray(0, cut));
    // Seeded byte flips: the same cases every run.
    let seed = 18;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(body);
      copy[next() % copy.length] = next() % 256;
      attempt(copy);
    }
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('refuses a value nested past the stack with VALIDATION_FAILED, and a length past the body', () => {
    // An attribute whose array holds an array, 200,000 deep: a few MB that would overflow a recursive reader's
    // stack. Sizes inside out first (AnyValue{array_value: ArrayValue{values: [inner]}}), then one buffer written
    // outside in.
    const depth = 200_000;
    const valueSizes = [2]; // the innermost AnyValue{string_value: ""}
    const arraySizes = [0];
    for (let k = 1; k <= depth; k++) {
      arraySizes[k] = 1 + varint(valueSizes[k - 1]!).length + valueSizes[k - 1]!;
      valueSizes[k] = 1 + varint(arraySizes[k]!).length + arraySizes[k]!;
    }
    const parts: Buffer[] = [];
    for (let k = depth; k >= 1; k--) parts.push(Buffer.from([0x2a]), varint(arraySizes[k]!), Buffer.from([0x0a]), varint(valueSizes[k - 1]!));
    parts.push(Buffer.from([0x0a, 0x00]));
    const value = Buffer.concat(parts);
    expect(value.length).toBe(valueSizes[depth]);
    const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x61, 0x12]), varint(value.length), value]);
    const span = Buffer.concat([Buffer.from([0x4a]), varint(keyValue.length), keyValue]);
    const scope = Buffer.concat([Buffer.from([0x12]), varint(span.length), span]);
    const resource = Buffer.concat([Buffer.from([0x12]), varint(scope.length), scope]);
    const body = Buffer.concat([Buffer.from([0x0a]), varint(resource.length), resource]);
    expect(() => mapOtlpTraceProtobuf(body)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    // A ResourceSpans announcing 2^32-1 bytes in a body of a few.
    expect(() => mapOtlpTraceProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x00]))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
