import { asObject, listOf, nanosToIso, stringOf, type JsonObject } from '../formats/field-readers.js';
import { mapGeminiApiResponse } from '../formats/gemini-cli-format.js';
import { attributesOf, mapGenAiSpan } from '../formats/otel-format.js';
import { checkedItem, errorItem, type MappedItem } from '../formats/usage-format.js';
import { mapClaudeCodeApiRequest } from './claude-code-log-record.js';
import { mapCodexSseEvent } from './codex-log-record.js';
import type { OtlpMapping } from './map-otlp-traces.js';

/**
 * An ExportLogsServiceRequest (as OTLP/JSON) to usage records. The log records that are calls:
 * - Claude Code's `claude_code.api_request` (claude-code-log-record.ts);
 * - Codex CLI's `codex.sse_event` of kind `response.completed` (codex-log-record.ts);
 * - Gemini CLI's `gemini_cli.api_response` (the mapping of gemini-cli-format.ts);
 * - a GenAI event with `gen_ai.usage.*` attributes, read as its span would be (otel-format.ts), with
 *   the record's trace and span ids: the same call exported as a span and as an event keys alike.
 * Every other record (prompts, tool results, errors without counts) is received and ignored.
 * The event name is the `event.name` attribute, the record's `eventName` (OTLP 1.5+) or its body.
 */
export function mapOtlpLogs(request: JsonObject): OtlpMapping {
  const items: MappedItem[] = [];
  let received = 0;
  for (const resourceLogs of listOf(request['resourceLogs'])) {
    const resource = attributesOf(asObject(asObject(resourceLogs)?.['resource'])?.['attributes']);
    for (const scopeLogs of listOf(asObject(resourceLogs)?.['scopeLogs'])) {
      const scopeName = stringOf(asObject(asObject(scopeLogs)?.['scope'])?.['name']) ?? '';
      for (const value of listOf(asObject(scopeLogs)?.['logRecords'])) {
        received += 1;
        const record = asObject(value);
        if (record) items.push(...mapLogRecord(record, resource, scopeName, received));
        else items.push(errorItem(received, 'not an OTLP log record (a JSON object)'));
      }
    }
  }
  return { received, items };
}

function mapLogRecord(record: JsonObject, resource: JsonObject, scopeName: string, position: number): readonly MappedItem[] {
  const a = attributesOf(record['attributes']);
  const name = stringOf(a['event.name']) ?? stringOf(record['eventName']) ?? stringOf(asObject(record['body'])?.['stringValue']);
  const time = recordTimeOf(record);
  if (name === 'claude_code.api_request' || (name === 'api_request' && isClaudeCode(resource, scopeName, record))) {
    return [mapClaudeCodeApiRequest(a, time, position)];
  }
  if (name === 'codex.sse_event') return mapCodexSseEvent(a, time, position);
  if (name === 'gemini_cli.api_response') return [withUser(mapGeminiApiResponse(a, time, position), stringOf(a['user.email']))];
  if (!Object.keys(a).some((key) => key.startsWith('gen_ai.usage.'))) return [];
  const asSpan = { traceId: record['traceId'], spanId: record['spanId'], attributes: record['attributes'], startTimeUnixNano: nanosOf(record) };
  const item = mapGenAiSpan(asSpan, resource, position, { keyByResponseId: true });
  return item ? [item] : [];
}

/** Claude Code names its events `api_request` with the `claude_code.` prefix on the body or scope. */
function isClaudeCode(resource: JsonObject, scopeName: string, record: JsonObject): boolean {
  const body = stringOf(asObject(record['body'])?.['stringValue']) ?? '';
  return body.startsWith('claude_code.') || /claude/i.test(scopeName) || /claude/i.test(stringOf(resource['service.name']) ?? '');
}

/** The event's time: `timeUnixNano`, else when the SDK observed it (0 means unset in OTLP). */
function nanosOf(record: JsonObject): unknown {
  const time = record['timeUnixNano'];
  return time !== undefined && time !== '0' && time !== 0 ? time : record['observedTimeUnixNano'];
}

function recordTimeOf(record: JsonObject): string | undefined {
  const value = nanosOf(record);
  return value === undefined || value === '0' || value === 0 ? undefined : (nanosToIso(value) ?? undefined);
}

/** A mapped record given the person it was made by, when the mapping had none (checked again). */
function withUser(item: MappedItem, user: string | undefined): MappedItem {
  if (!user || !('record' in item) || item.record.user !== undefined) return item;
  return checkedItem(item.lineNumber, { ...item.record, user });
}
