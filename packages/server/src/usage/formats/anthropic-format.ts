import type { UsageRecordInput } from '@tally/protocol';
import { asObject, countOf, idOf, stringOf, type JsonObject } from './field-readers.js';
import { splitCacheWrites } from './cache-write-split.js';
import { logContextOf, wrappedBody, type LogContext } from './log-wrapper.js';
import { bestObjectScore, checkedItem, errorItem, statelessMapper, type MappedItem, type UsageFormat } from './usage-format.js';

/**
 * Anthropic message logs, one JSON value per line (shared/FORMATS.md §2a, §2c):
 * - a Messages API response `{id: "msg_…", type: "message", model, usage}`, bare or wrapped in the
 *   team's own log line `{timestamp, request_id, project, feature, user, response: {…}}`;
 * - a Message Batches result line `{custom_id, result: {type, message}}`: batch=true.
 * `input_tokens` already EXCLUDES the cache, so it maps as is, beside `cache_read_input_tokens`
 * and `cache_creation_input_tokens`. The TTL split in `cache_creation` puts 1-hour writes in
 * their own bucket (cache-write-split.ts); it and `iterations[]` are breakdowns, never added on
 * top. A response body carries no time: the line must say when.
 */
export const anthropicFormat: UsageFormat = {
  name: 'anthropic',
  title: 'Anthropic message logs: Messages API responses and Message Batches results (JSON lines)',
  framings: ['json'],
  detect: (sample) => bestObjectScore(sample, shapeScore),
  createMapper: statelessMapper(mapAnthropicLine),
};

function shapeScore(o: JsonObject): number {
  if ('sessionId' in o) return 0;
  if ('custom_id' in o && asObject(o['result']) && typeof asObject(o['result'])?.['type'] === 'string') return 0.97;
  const usage = asObject(o['usage']);
  if (o['type'] === 'message' && usage) return 0.95;
  const inner = wrappedBody(o);
  if (inner?.['type'] === 'message') return 0.9;
  const anyUsage = usage ?? asObject(inner?.['usage']);
  const id = stringOf(o['id']) ?? stringOf(inner?.['id']) ?? '';
  if (anyUsage && id.startsWith('msg_') && 'input_tokens' in anyUsage) return 0.85;
  if (anyUsage && ('cache_creation_input_tokens' in anyUsage || 'cache_read_input_tokens' in anyUsage)) return 0.7;
  return 0;
}

/** Maps one line of an Anthropic log. */
export function mapAnthropicLine(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  const problems: string[] = [];
  // The line's own fields (its time above all), whether it wraps the body or is the body.
  const context = logContextOf(o, problems);
  if (problems.length > 0) return [errorItem(lineNumber, problems.join('; '))];
  const result = asObject(o['result']);
  if ('custom_id' in o && result) {
    const message = asObject(result['message']);
    if (result['type'] === 'succeeded' && message) return mapMessage(message, lineNumber, context, true);
    const reason = stringOf(asObject(asObject(result['error'])?.['error'])?.['message']) ?? stringOf(asObject(result['error'])?.['message']);
    return [errorItem(lineNumber, `batch request ${stringOf(o['custom_id']) ?? '?'} ${stringOf(result['type']) ?? 'failed'}${reason ? ` (${reason})` : ''}; it has no usage to record`)];
  }
  if (o['type'] === 'error') return [errorItem(lineNumber, `an API error response (${stringOf(asObject(o['error'])?.['message']) ?? 'no message'}); it has no usage to record`)];
  return mapMessage(wrappedBody(o) ?? o, lineNumber, context, false);
}

function mapMessage(message: JsonObject, lineNumber: number, context: LogContext, batchResult: boolean): readonly MappedItem[] {
  const usage = asObject(message['usage']);
  if (!usage) return [errorItem(lineNumber, 'no usage object')];
  const problems: string[] = [];
  const tokens = anthropicTokens(usage, problems);
  const model = stringOf(message['model']);
  if (!model) problems.push('no model');
  if (!context.ts) problems.push('no time: an Anthropic message carries none; log each with a `timestamp` (ISO-8601 or epoch)');
  if (problems.length > 0 || !model || !context.ts) return [errorItem(lineNumber, problems.join('; '))];
  const batch = batchResult || usage['service_tier'] === 'batch';
  const id = stringOf(message['id']);
  const record: UsageRecordInput = {
    ts: context.ts,
    provider: model.toLowerCase().startsWith('claude') ? 'anthropic' : undefined,
    model,
    ...tokens,
    latencyMs: context.latencyMs,
    project: context.project,
    feature: context.feature,
    user: context.user,
  };
  if (id !== undefined) record.id = idOf(id);
  if (batch) {
    record.batch = true;
    record.interactive = false;
  }
  return [checkedItem(lineNumber, record)];
}

/** Anthropic `usage` as Tally's disjoint buckets; shared with the Claude Code mapper. */
export function anthropicTokens(
  usage: JsonObject,
  problems: string[],
  path = 'usage',
): Pick<UsageRecordInput, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'cacheWrite1hTokens'> {
  const input = countOf(usage['input_tokens'], `${path}.input_tokens`, problems);
  const output = countOf(usage['output_tokens'], `${path}.output_tokens`, problems);
  const cacheRead = countOf(usage['cache_read_input_tokens'], `${path}.cache_read_input_tokens`, problems);
  const split = asObject(usage['cache_creation']);
  const writes = splitCacheWrites(
    {
      total: countOf(usage['cache_creation_input_tokens'], `${path}.cache_creation_input_tokens`, problems),
      write5m: countOf(split?.['ephemeral_5m_input_tokens'], `${path}.cache_creation.ephemeral_5m_input_tokens`, problems),
      write1h: countOf(split?.['ephemeral_1h_input_tokens'], `${path}.cache_creation.ephemeral_1h_input_tokens`, problems),
    },
    { total: `${path}.cache_creation_input_tokens`, write1h: `${path}.cache_creation.ephemeral_1h_input_tokens` },
    problems,
  );
  if (input === undefined && !problems.length) problems.push(`${path}.input_tokens: missing`);
  if (output === undefined && !problems.length) problems.push(`${path}.output_tokens: missing`);
  return { inputTokens: input ?? 0, outputTokens: output ?? 0, cacheReadTokens: cacheRead ?? 0, ...writes };
}
