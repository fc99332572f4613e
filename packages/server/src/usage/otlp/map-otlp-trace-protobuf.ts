import protobuf from 'protobufjs/light.js';
import { AppError } from '../../app-error.js';
import type { JsonObject } from '../formats/field-readers.js';
import type { GenAiSpanFields } from '../formats/otel-format.js';
import type { MappedItem } from '../formats/usage-format.js';
import { mapTraceSpan, type OtlpMapping } from './map-otlp-traces.js';

/**
 * A protobuf ExportTraceServiceRequest to usage records, read straight off the wire: the same
 * items mapOtlpTraces makes of the request's OTLP/JSON form (map-otlp-trace-protobuf.test.ts holds
 * them equal). Decoding into protobufjs' message objects first, then copying those into the JSON
 * shape, was about 40% of reading a request's CPU: an object per span, attribute, value and
 * 64-bit time, most of them never read. Here a span's fields go straight into what the mapping reads
 * (GenAiSpanFields): attributes as values, ids as hex, times as bigint; the rest (names, links,
 * scopes, dropped counts) is skipped unread, and a span's events are read only if the span itself
 * has no token counts.
 *
 * Field numbers are opentelemetry-proto's (proto/, trace/v1 and common/v1), stable since OTLP 1.0.
 * A field of a known number but an unexpected wire type is skipped as unknown. A body that is not
 * such a request (truncated, a length past its message's end, an invalid wire type) is a
 * VALIDATION_FAILED, as decoding it with protobufjs was.
 */
export function mapOtlpTraceProtobuf(body: Uint8Array): OtlpMapping {
  const reader = protobuf.Reader.create(body);
  const items: MappedItem[] = [];
  const counter = { received: 0 };
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === lengthDelimited(1)) readResourceSpans(reader, body, messageEnd(reader), items, counter);
      else reader.skipType(tag & 7);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('VALIDATION_FAILED', `The body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`);
  }
  return { received: counter.received, items };
}

type Reader = protobuf.Reader;

/** The tag of a length-delimited field (wire type 2): messages, strings, bytes. */
function lengthDelimited(field: number): number {
  return (field << 3) | 2;
}

const VARINT = 0;
const FIXED64 = 1;

/** Reads a length prefix; where the message it announces ends, checked against the buffer. */
function messageEnd(reader: Reader, parentEnd = reader.len): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > parentEnd) throw new RangeError(`a length of ${length} at offset ${reader.pos} runs past its message`);
  return end;
}

function skip(reader: Reader, tag: number, end: number): void {
  reader.skipType(tag & 7);
  if (reader.pos > end) throw new RangeError(`a field runs past its message at offset ${reader.pos}`);
}

/** A message's fields must end exactly where its length said. */
function endsAt(reader: Reader, end: number): void {
  if (reader.pos !== end) throw new RangeError(`a field runs past its message at offset ${reader.pos}`);
}

/**
 * ResourceSpans: resource (1), scope_spans (2). The resource applies to every span of the message
 * wherever it comes on the wire, so the scopes' places are noted and read once it is known.
 */
function readResourceSpans(reader: Reader, body: Uint8Array, end: number, items: MappedItem[], counter: { received: number }): void {
  let resource: JsonObject = {};
  const scopes: Array<[number, number]> = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    // Resource: attributes (1).
    if (tag === lengthDelimited(1)) resource = attributesIn(reader, messageEnd(reader, end), 1);
    else if (tag === lengthDelimited(2)) {
      const scopeEnd = messageEnd(reader, end);
      scopes.push([reader.pos, scopeEnd]);
      reader.pos = scopeEnd;
    } else skip(reader, tag, end);
  }
  endsAt(reader, end);
  const after = reader.pos;
  for (const [start, scopeEnd] of scopes) {
    reader.pos = start;
    // ScopeSpans: scope (1, unread), spans (2).
    while (reader.pos < scopeEnd) {
      const tag = reader.uint32();
      if (tag !== lengthDelimited(2)) {
        skip(reader, tag, scopeEnd);
        continue;
      }
      const spanEnd = messageEnd(reader, scopeEnd);
      counter.received += 1;
      const { fields, events } = readSpan(reader, body, spanEnd);
      const item = mapTraceSpan(fields, () => events.map(([from, to]) => eventAttributes(reader, from, to)), resource, counter.received);
      if (item) items.push(item);
      reader.pos = spanEnd;
    }
    endsAt(reader, scopeEnd);
  }
  reader.pos = after;
}

/**
 * Span: trace_id (1), span_id (2), start (7) and end (8) times, attributes (9), events (11, their
 * places), status (15). Later copies of a singular field win, as protobufjs decodes them.
 */
function readSpan(reader: Reader, body: Uint8Array, end: number): { fields: GenAiSpanFields; events: Array<[number, number]> } {
  const fields: GenAiSpanFields = { attributes: {}, traceId: undefined, spanId: undefined, startTimeUnixNano: undefined, endTimeUnixNano: undefined, statusCode: undefined };
  const events: Array<[number, number]> = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case lengthDelimited(1):
        fields.traceId = hexOf(reader, body, end);
        break;
      case lengthDelimited(2):
        fields.spanId = hexOf(reader, body, end);
        break;
      case (7 << 3) | FIXED64:
        fields.startTimeUnixNano = nanosOf(reader);
        break;
      case (8 << 3) | FIXED64:
        fields.endTimeUnixNano = nanosOf(reader);
        break;
      case lengthDelimited(9):
        readKeyValue(reader, messageEnd(reader, end), fields.attributes);
        break;
      case lengthDelimited(11): {
        const eventEnd = messageEnd(reader, end);
        events.push([reader.pos, eventEnd]);
        reader.pos = eventEnd;
        break;
      }
      case lengthDelimited(15):
        fields.statusCode = statusCodeOf(reader, messageEnd(reader, end));
        break;
      default:
        skip(reader, tag, end);
    }
  }
  endsAt(reader, end);
  return { fields, events };
}

/** Event: attributes (3); its time and name are not read. */
function eventAttributes(reader: Reader, start: number, end: number): JsonObject {
  reader.pos = start;
  return attributesIn(reader, end, 3);
}

/** The attributes of the message that ends at `end`, its KeyValues being field `field`; other fields skipped. */
function attributesIn(reader: Reader, end: number, field: number): JsonObject {
  const attributes: JsonObject = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === lengthDelimited(field)) readKeyValue(reader, messageEnd(reader, end), attributes);
    else skip(reader, tag, end);
  }
  endsAt(reader, end);
  return attributes;
}

/** Status: code (3), an enum; 0 (unset) is absent, as in OTLP/JSON. */
function statusCodeOf(reader: Reader, end: number): number | undefined {
  let code: number | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === ((3 << 3) | VARINT)) code = reader.int32();
    else skip(reader, tag, end);
  }
  endsAt(reader, end);
  return code === 0 ? undefined : code;
}

/**
 * KeyValue: key (1), value (2), into `into` as attributesOf makes OTLP/JSON attributes: a string,
 * bool or double as itself, an int as its decimal text (OTLP/JSON's 64-bit ints), an array as its
 * values; a kvlist or bytes value is undefined. A pair without a key is left out (OTLP/JSON has no key then).
 */
function readKeyValue(reader: Reader, end: number, into: JsonObject): void {
  let key: string | undefined;
  let value: unknown;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === lengthDelimited(1)) key = reader.string();
    else if (tag === lengthDelimited(2)) value = readAnyValue(reader, messageEnd(reader, end));
    else skip(reader, tag, end);
  }
  endsAt(reader, end);
  if (key !== undefined) into[key] = value;
}

/** AnyValue: string (1), bool (2), int (3), double (4), array (5); kvlist (6) and bytes (7) are undefined. */
function readAnyValue(reader: Reader, end: number): unknown {
  let value: unknown;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case lengthDelimited(1):
        value = reader.string();
        break;
      case (2 << 3) | VARINT:
        value = reader.bool();
        break;
      case (3 << 3) | VARINT:
        value = int64Text(reader.int64());
        break;
      case (4 << 3) | FIXED64:
        value = reader.double();
        break;
      case lengthDelimited(5): {
        const arrayEnd = messageEnd(reader, end);
        const values: unknown[] = [];
        while (reader.pos < arrayEnd) {
          const field = reader.uint32();
          if (field === lengthDelimited(1)) values.push(readAnyValue(reader, messageEnd(reader, arrayEnd)));
          else skip(reader, field, arrayEnd);
        }
        endsAt(reader, arrayEnd);
        value = values;
        break;
      }
      case lengthDelimited(6):
      case lengthDelimited(7):
        reader.pos = messageEnd(reader, end);
        value = undefined;
        break;
      default:
        skip(reader, tag, end);
    }
  }
  endsAt(reader, end);
  return value;
}

/** protobufjs' Long (when long.js is loaded, as it is here) or a plain number. */
interface LongBits {
  low: number;
  high: number;
}

/** A signed 64-bit integer as its decimal text. */
function int64Text(value: number | LongBits): string {
  if (typeof value === 'number') return String(value);
  const { low, high } = value;
  if (high === 0) return String(low >>> 0);
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)).toString();
}

/** A fixed64 time in nanoseconds; undefined at 0, as OTLP/JSON leaves an unset time out. */
function nanosOf(reader: Reader): bigint | undefined {
  const low = reader.fixed32();
  const high = reader.fixed32();
  if (low === 0 && high === 0) return undefined;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** A bytes field as lower-case hex; undefined when empty. */
function hexOf(reader: Reader, body: Uint8Array, parentEnd: number): string | undefined {
  const end = messageEnd(reader, parentEnd);
  const start = reader.pos;
  reader.pos = end;
  if (end === start) return undefined;
  return Buffer.from(body.buffer, body.byteOffset + start, end - start).toString('hex');
}
