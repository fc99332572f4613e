import type { JsonObject } from '../formats/field-readers.js';

/**
 * A decoded protobuf ExportTraceServiceRequest as the OTLP/JSON object the mapping reads
 * (map-otlp-traces.ts), written for speed: protobufjs' generic `toObject` turned every 64-bit
 * value into a string through long.js' division loop and every id into base64 (which the mapping
 * then turned into hex), about 40% of reading a request. Same rules as `toObject` with
 * `{ longs: String, enums: Number, defaults: false }`: a field at its default is absent, a oneof
 * member is present when set; ids come out as lower-case hex, as OTLP/JSON writes them.
 *
 * Only what the mapping reads is carried: resource attributes, scope name, and per span its ids,
 * name, kind, times, attributes, events and status (not links, trace state or dropped counts).
 */
export function traceRequestJson(message: unknown): JsonObject {
  return { resourceSpans: list(message, 'resourceSpans').map(resourceSpansJson) };
}

/** protobufjs' Long (when long.js is loaded) or a plain number. */
interface LongBits {
  low: number;
  high: number;
}

type Decoded = Record<string, unknown>;

function list(owner: unknown, field: string): Decoded[] {
  const value = (owner as Decoded | null | undefined)?.[field];
  return Array.isArray(value) ? (value as Decoded[]) : [];
}

function child(owner: Decoded, field: string): Decoded | undefined {
  const value = owner[field];
  return value === null || value === undefined ? undefined : (value as Decoded);
}

/** A 64-bit integer as its decimal text; undefined at 0 (the default, absent in `toObject`). */
function int64Text(value: unknown, signed: boolean): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value === 0 ? undefined : String(value);
  const { low, high } = value as LongBits;
  if (high === 0) return low === 0 ? undefined : String(low >>> 0);
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return (signed ? BigInt.asIntN(64, bits) : bits).toString();
}

function hex(value: unknown): string | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return undefined;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && value !== 0 ? value : undefined;
}

/** Absent fields dropped, as `toObject` leaves them out. */
function compact(object: Record<string, unknown>): JsonObject {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object as JsonObject;
}

function anyValueJson(value: Decoded | undefined): JsonObject | undefined {
  if (!value) return undefined;
  // protobufjs names the oneof's member that is set in its virtual `value` field.
  switch (value['value']) {
    case 'stringValue':
      return { stringValue: value['stringValue'] as string };
    case 'boolValue':
      return { boolValue: value['boolValue'] as boolean };
    case 'intValue':
      return { intValue: int64Text(value['intValue'], true) ?? '0' };
    case 'doubleValue':
      return { doubleValue: value['doubleValue'] as number };
    case 'arrayValue':
      return { arrayValue: { values: list(child(value, 'arrayValue'), 'values').map((v) => anyValueJson(v) ?? {}) } };
    case 'kvlistValue':
      return { kvlistValue: { values: list(child(value, 'kvlistValue'), 'values').map(keyValueJson) } };
    case 'bytesValue':
      return { bytesValue: Buffer.from(value['bytesValue'] as Uint8Array).toString('base64') };
    default:
      return {};
  }
}

function keyValueJson(entry: Decoded): JsonObject {
  return compact({ key: text(entry['key']), value: anyValueJson(child(entry, 'value')) });
}

function attributesJson(owner: Decoded | undefined): JsonObject[] {
  return list(owner, 'attributes').map(keyValueJson);
}

function resourceSpansJson(resourceSpans: Decoded): JsonObject {
  const resource = child(resourceSpans, 'resource');
  return compact({
    resource: resource ? { attributes: attributesJson(resource) } : undefined,
    scopeSpans: list(resourceSpans, 'scopeSpans').map((scopeSpans) => {
      const scope = child(scopeSpans, 'scope');
      return compact({ scope: scope ? compact({ name: text(scope['name']), version: text(scope['version']) }) : undefined, spans: list(scopeSpans, 'spans').map(spanJson) });
    }),
  });
}

function spanJson(span: Decoded): JsonObject {
  const status = child(span, 'status');
  return compact({
    traceId: hex(span['traceId']),
    spanId: hex(span['spanId']),
    parentSpanId: hex(span['parentSpanId']),
    name: text(span['name']),
    kind: number(span['kind']),
    startTimeUnixNano: int64Text(span['startTimeUnixNano'], false),
    endTimeUnixNano: int64Text(span['endTimeUnixNano'], false),
    attributes: attributesJson(span),
    events: list(span, 'events').map((event) =>
      compact({ timeUnixNano: int64Text(event['timeUnixNano'], false), name: text(event['name']), attributes: attributesJson(event) }),
    ),
    status: status ? compact({ message: text(status['message']), code: number(status['code']) }) : undefined,
  });
}
