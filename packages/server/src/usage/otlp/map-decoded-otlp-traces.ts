import type { JsonObject } from '../formats/field-readers.js';
import type { GenAiSpanFields } from '../formats/otel-format.js';
import type { MappedItem } from '../formats/usage-format.js';
import { mapTraceSpan, type OtlpMapping } from './map-otlp-traces.js';

/**
 * A protobuf ExportTraceServiceRequest, as protobufjs decoded it, to usage records: the same
 * items mapOtlpTraces makes of the request's OTLP/JSON form (map-decoded-otlp-traces.test.ts
 * holds them equal), read straight from the decoded message. Copying the message into the JSON
 * shape first (with protobufjs' generic `toObject`, or a faster copy of our own) was about a
 * third of reading a request: every 64-bit value made decimal text and parsed again, every id
 * base64 then hex, and objects trimmed by `delete`, which V8 then reads slowly. Here an
 * attribute becomes the value the mapping reads directly, times stay bigint, ids become hex.
 */
export function mapDecodedOtlpTraces(message: unknown): OtlpMapping {
  const items: MappedItem[] = [];
  let received = 0;
  for (const resourceSpans of list(message, 'resourceSpans')) {
    const resource = attributeValues(child(resourceSpans, 'resource'));
    for (const scopeSpans of list(resourceSpans, 'scopeSpans')) {
      for (const span of list(scopeSpans, 'spans')) {
        received += 1;
        const item = mapTraceSpan(spanFields(span), () => list(span, 'events').map(attributeValues), resource, received);
        if (item) items.push(item);
      }
    }
  }
  return { received, items };
}

type Decoded = Record<string, unknown>;

/** protobufjs' Long (when long.js is loaded, as it is here) or a plain number. */
interface LongBits {
  low: number;
  high: number;
}

function list(owner: unknown, field: string): Decoded[] {
  const value = (owner as Decoded | null | undefined)?.[field];
  return Array.isArray(value) ? (value as Decoded[]) : [];
}

function child(owner: Decoded, field: string): Decoded | undefined {
  const value = owner[field];
  return value === null || value === undefined ? undefined : (value as Decoded);
}

function spanFields(span: Decoded): GenAiSpanFields {
  return {
    attributes: attributeValues(span),
    traceId: hex(span['traceId']),
    spanId: hex(span['spanId']),
    startTimeUnixNano: uint64(span['startTimeUnixNano']),
    endTimeUnixNano: uint64(span['endTimeUnixNano']),
    statusCode: child(span, 'status')?.['code'],
  };
}

/**
 * An owner's `attributes` as attributesOf makes them of the OTLP/JSON form: a string, bool or
 * double as itself, an int as its decimal text (as OTLP/JSON writes 64-bit ints), an array as its
 * values; a kvlist or bytes value is undefined.
 */
function attributeValues(owner: Decoded | undefined): JsonObject {
  const out: JsonObject = {};
  for (const entry of list(owner, 'attributes')) {
    const key = entry['key'];
    if (typeof key === 'string') out[key] = anyValue(child(entry, 'value'));
  }
  return out;
}

function anyValue(value: Decoded | undefined): unknown {
  if (!value) return undefined;
  // protobufjs names the oneof member that is set in its virtual `value` field.
  switch (value['value']) {
    case 'stringValue':
      return value['stringValue'];
    case 'intValue':
      return int64Text(value['intValue']);
    case 'doubleValue':
      return value['doubleValue'];
    case 'boolValue':
      return value['boolValue'];
    case 'arrayValue':
      return list(child(value, 'arrayValue'), 'values').map(anyValue);
    default:
      return undefined;
  }
}

/** A signed 64-bit integer as its decimal text. */
function int64Text(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const { low, high } = value as LongBits;
  if (high === 0) return String(low >>> 0);
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)).toString();
}

/** An unsigned 64-bit time in nanoseconds; undefined at 0, as OTLP/JSON leaves an unset time out. */
function uint64(value: unknown): bigint | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value === 0 ? undefined : BigInt(value);
  const { low, high } = value as LongBits;
  if (low === 0 && high === 0) return undefined;
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

function hex(value: unknown): string | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return undefined;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}
