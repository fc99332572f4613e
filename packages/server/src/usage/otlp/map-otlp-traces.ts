import { asObject, listOf, type JsonObject } from '../formats/field-readers.js';
import { attributesOf, genAiSpanFieldsOf, mapGenAiCall, type GenAiSpanFields } from '../formats/otel-format.js';
import { errorItem, type MappedItem } from '../formats/usage-format.js';

/** What an export request held: every item counted, and the records (or refusals) mapped from it. */
export interface OtlpMapping {
  /** Spans, log records or data points in the request. */
  received: number;
  /** One per call found: a record, or why the item was refused (its position in `lineNumber`). */
  items: MappedItem[];
}

const KEYED = { keyByResponseId: true } as const;

/**
 * An ExportTraceServiceRequest (as OTLP/JSON) to usage records, span by span (mapTraceSpan).
 * Items are numbered 1.. in request order. A protobuf request is read straight off the wire,
 * without this JSON shape, by map-otlp-trace-protobuf.ts, to the same items.
 */
export function mapOtlpTraces(request: JsonObject): OtlpMapping {
  const items: MappedItem[] = [];
  let received = 0;
  for (const resourceSpans of listOf(request['resourceSpans'])) {
    const resource = attributesOf(asObject(asObject(resourceSpans)?.['resource'])?.['attributes']);
    for (const scopeSpans of listOf(asObject(resourceSpans)?.['scopeSpans'])) {
      for (const value of listOf(asObject(scopeSpans)?.['spans'])) {
        received += 1;
        const span = asObject(value);
        if (!span) {
          items.push(errorItem(received, 'not an OTLP span (a JSON object)'));
          continue;
        }
        const item = mapTraceSpan(genAiSpanFieldsOf(span), () => listOf(span['events']).map((event) => attributesOf(asObject(event)?.['attributes'])), resource, received);
        if (item) items.push(item);
      }
    }
  }
  return { received, items };
}

/**
 * One span as a call: a GenAI span with token counts (otel-format.ts's mapping, keyed by
 * `gen_ai.response.id` when there is one). A span without counts of its own may carry them in a
 * span event (GenAI instrumentations that report the call as an event, e.g.
 * `gen_ai.client.inference.operation.details`): the first such event's attributes over the span's
 * make the record, keyed as the span would be, so a span is one call at most. Other spans are
 * received and ignored. `eventAttributes` is asked only for a span without counts.
 */
export function mapTraceSpan(span: GenAiSpanFields, eventAttributes: () => JsonObject[], resource: JsonObject, position: number): MappedItem | undefined {
  const item = mapGenAiCall(span, resource, position, KEYED);
  if (item) return item;
  for (const attributes of eventAttributes()) {
    if (!Object.keys(attributes).some((key) => key.startsWith('gen_ai.usage.'))) continue;
    // The event's counts and model over the span's.
    return mapGenAiCall({ ...span, attributes: { ...span.attributes, ...attributes } }, resource, position, KEYED);
  }
  return undefined;
}
