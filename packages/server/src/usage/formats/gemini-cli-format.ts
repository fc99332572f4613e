import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isoTimeOf, listOf, nanosToIso, stringOf, type JsonObject } from './field-readers.js';
import { attributesOf } from './otel-format.js';
import { checkedItem, errorItem, NOTHING, type FormatSample, type MappedItem, type UsageFormat } from './usage-format.js';

/** The one log record that carries a call's usage; metrics and spans repeat it and are skipped. */
const API_RESPONSE = 'gemini_cli.api_response';
const GEMINI_EVENT = /"event\.name"\s*:\s*"gemini_cli\./;

/**
 * Gemini CLI telemetry (shared/FORMATS.md §9): the local `telemetry.outfile` (OpenTelemetry log
 * records, metrics and spans written as JSON objects, usually pretty-printed) or an OTLP/JSON logs
 * export (`resourceLogs`). Only the `gemini_cli.api_response` log record is counted: the same
 * usage is also emitted as the `gemini_cli.token.usage` metric and in GenAI spans, so counting
 * those too would double it. `input_token_count` (the API's `promptTokenCount`) **includes**
 * cached tokens; `tool_token_count` (tool-use prompt) is input beside it; `thoughts_token_count`
 * is billed as output and is not in `output_token_count`.
 */
export const geminiCliFormat: UsageFormat = {
  name: 'gemini-cli',
  title: 'Gemini CLI telemetry logs (telemetry.outfile, or an OTLP/JSON logs export)',
  framings: ['json'],
  maxUnitChars: 32 * 1024 * 1024,
  detect: detectGemini,
  createMapper: () => ({ map: mapGeminiTelemetry, flush: () => NOTHING }),
};

function detectGemini(sample: FormatSample): number {
  for (const value of sample.values) {
    const o = asObject(value);
    if (!o) continue;
    if (isGeminiEvent(eventAttributes(o))) return 0.99;
    // An OTLP export from Gemini CLI: its service names it. Above otel's 0.99 for its spans.
    for (const key of ['resourceLogs', 'resourceMetrics', 'resourceSpans']) {
      const resources = o[key];
      if (Array.isArray(resources) && resources.some((r) => /gemini[-_]cli/i.test(String(attributesOf(asObject(asObject(r)?.['resource'])?.['attributes'])['service.name'] ?? '')))) return 0.995;
    }
    if (Array.isArray(o['resourceLogs']) && GEMINI_EVENT.test(JSON.stringify(o).slice(0, 1_000_000))) return 0.995;
  }
  return GEMINI_EVENT.test(sample.head) ? 0.9 : 0;
}

function isGeminiEvent(attributes: JsonObject | undefined): boolean {
  const name = stringOf(attributes?.['event.name']);
  return name !== undefined && name.startsWith('gemini_cli.');
}

/** A log record's attributes: an SDK record's object, a Cloud Logging `jsonPayload`, or a flattened event. */
function eventAttributes(o: JsonObject): JsonObject | undefined {
  const attributes = asObject(o['attributes']) ?? asObject(o['jsonPayload']);
  if (attributes) return attributes;
  return 'event.name' in o ? o : undefined;
}

/** Maps one unit of the telemetry file: a log record, or an OTLP logs export holding many. */
export function mapGeminiTelemetry(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  if (Array.isArray(o['resourceLogs'])) return mapOtlpLogs(o['resourceLogs'], lineNumber);
  const attributes = eventAttributes(o);
  if (!attributes || attributes['event.name'] !== API_RESPONSE) return NOTHING;
  return [mapGeminiApiResponse(attributes, sdkTime(o), lineNumber)];
}

function mapOtlpLogs(resources: unknown[], lineNumber: number): readonly MappedItem[] {
  const out: MappedItem[] = [];
  for (const resource of resources) {
    for (const scope of listOf(asObject(resource)?.['scopeLogs'])) {
      for (const record of listOf(asObject(scope)?.['logRecords'])) {
        const r = asObject(record);
        const attributes = attributesOf(r?.['attributes']);
        if (attributes['event.name'] !== API_RESPONSE) continue;
        out.push(mapGeminiApiResponse(attributes, r?.['timeUnixNano'] !== undefined ? nanosToIso(r['timeUnixNano']) : undefined, lineNumber));
      }
    }
  }
  return out;
}

/** An SDK log record's `hrTime` ([seconds, nanoseconds]). */
function sdkTime(o: JsonObject): string | undefined {
  const hr = o['hrTime'];
  if (!Array.isArray(hr) || typeof hr[0] !== 'number' || typeof hr[1] !== 'number') return undefined;
  return new Date(hr[0] * 1000 + Math.floor(hr[1] / 1e6)).toISOString();
}

/** One `gemini_cli.api_response` event's attributes as a record (also read by the OTLP receiver). */
export function mapGeminiApiResponse(a: JsonObject, recordTime: string | null | undefined, lineNumber: number): MappedItem {
  const problems: string[] = [];
  const input = countOf(a['input_token_count'], 'input_token_count', problems);
  const cached = countOf(a['cached_content_token_count'], 'cached_content_token_count', problems) ?? 0;
  const output = countOf(a['output_token_count'], 'output_token_count', problems) ?? 0;
  const thoughts = countOf(a['thoughts_token_count'], 'thoughts_token_count', problems) ?? 0;
  const tool = countOf(a['tool_token_count'], 'tool_token_count', problems) ?? 0;
  const latencyMs = amountOf(a['duration_ms'], 'duration_ms', problems);
  if (input === undefined && problems.length === 0) problems.push('no input_token_count');
  const eventTime = isoTimeOf(a['event.timestamp']);
  const ts = eventTime ?? recordTime;
  if (!ts) problems.push('no time: no event.timestamp and no record time');
  const model = stringOf(a['model']);
  if (!model) problems.push('no model');
  if (input !== undefined && cached > input) problems.push(`cached_content_token_count (${cached}) exceeds input_token_count (${input}), which includes it`);
  if (problems.length > 0 || !ts || !model || input === undefined) return errorItem(lineNumber, problems.join('; '));
  const statusCode = a['status_code'];
  const failed = a['error'] !== undefined || (statusCode !== undefined && Number(statusCode) >= 400);
  const record: UsageRecordInput = {
    ts,
    provider: 'google',
    model,
    inputTokens: input - cached + tool,
    cacheReadTokens: cached,
    outputTokens: output + thoughts,
    reasoningTokens: thoughts,
    latencyMs,
    status: failed ? 'error' : 'ok',
    feature: 'gemini-cli',
  };
  const session = stringOf(a['session.id']);
  if (session && eventTime) record.id = idOf(session, eventTime, stringOf(a['prompt_id']) ?? '');
  return checkedItem(lineNumber, record);
}
