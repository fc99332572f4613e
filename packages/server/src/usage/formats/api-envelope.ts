import { asObject, type JsonObject } from './field-readers.js';

/**
 * The records of an exported unit: the unit itself, or what an API answer wraps in `data` (one
 * object, or a list: OpenRouter's generation and activity answers, Helicone's query answers,
 * Langfuse's `{data, meta}` pages). Entries that are not objects are left out.
 */
export function recordsInEnvelope(o: JsonObject | undefined): JsonObject[] {
  if (!o) return [];
  const data = o['data'];
  if (Array.isArray(data)) return data.map(asObject).filter((d): d is JsonObject => d !== undefined);
  const one = asObject(data);
  return one ? [one] : [o];
}
