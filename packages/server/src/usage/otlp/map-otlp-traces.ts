import { asObject, listOf, type JsonObject } from '../formats/field-readers.js';
import { attributesOf, mapGenAiSpan } from '../formats/otel-format.js';
import type { MappedItem } from '../formats/usage-format.js';

/** What an export request held: every item counted, and the records (or refusals) mapped from it. */
export interface OtlpMapping {
  /** Spans, log records or data points in the request. */
  received: number;
  /** One per call found: a record, or why the item was refused (its position in `lineNumber`). */
  items: MappedItem[];
}

/**
 * An ExportTraceServiceRequest (as OTLP/JSON) to usage records: the GenAI spans with token counts
 * (otel-format.ts's mapping, keyed by `gen_ai.response.id` when there is one). A span without
 * counts of its own may carry them in a span event (GenAI instrumentations that report the
 * call as an event, e.g. `gen_ai.client.inference.operation.details`): the first such event's
 * attributes over the span's make the record, keyed as the span would be, so a span is one call
 * at most. Other spans are received and ignored. Items are numbered 1.. in request order.
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
        const item = mapGenAiSpan(span, resource, received, { keyByResponseId: true }) ?? (span ? mapUsageEvent(span, resource, received) : undefined);
        if (item) items.push(item);
      }
    }
  }
  return { received, items };
}

function mapUsageEvent(span: JsonObject, resource: JsonObject, position: number): MappedItem | undefined {
  const spanAttributes = listOf(span['attributes']);
  for (const event of listOf(span['events'])) {
    const eventAttributes = listOf(asObject(event)?.['attributes']);
    const hasUsage = eventAttributes.some((a) => String(asObject(a)?.['key'] ?? '').startsWith('gen_ai.usage.'));
    if (!hasUsage) continue;
    // Later attributes win in attributesOf: the event's counts and model over the span's.
    return mapGenAiSpan({ ...span, attributes: [...spanAttributes, ...eventAttributes] }, resource, position, { keyByResponseId: true });
  }
  return undefined;
}
