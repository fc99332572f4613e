import type { UsageRecordInput } from '@tally/protocol';
import { asObject, countOf, idOf, isoTimeOf, stringOf, unixSecondsToIso, type JsonObject } from './field-readers.js';
import { logContextOf, wrappedBody, type LogContext } from './log-wrapper.js';
import { bestObjectScore, checkedItem, errorItem, NOTHING, statelessMapper, type MappedItem, type UsageFormat } from './usage-format.js';

/** Models served by OpenAI itself; other models in an OpenAI-shaped log come from compatible servers. */
const OPENAI_MODEL = /^(gpt-|o\d|chatgpt|codex|computer-use|text-|davinci|babbage|omni-)/i;

interface BatchContext {
  id: string | undefined;
  status?: 'error';
}

/**
 * OpenAI request logs, one JSON value per line (shared/FORMATS.md §1a–1c):
 * - a Chat Completions response (`usage.prompt_tokens` etc.), or its last streamed chunk;
 * - a Responses API object (`usage.input_tokens` etc.), or a `response.completed` stream event;
 * - a Batch API output line (`{id, custom_id, response: {status_code, body}, error}`): batch=true.
 * The usage shape is decided per line, never per file: one batch file can mix both bodies.
 * Cached and cache-write tokens are subsets of the prompt and are subtracted from it; reasoning
 * tokens are a subset of the output and stay inside it. A line may also wrap the body in the
 * team's own log line (`{timestamp, project, feature, user, response: {…}}`).
 */
export const openaiFormat: UsageFormat = {
  name: 'openai',
  title: 'OpenAI request logs: Chat Completions and Responses API objects, Batch API output (JSON lines)',
  framings: ['json'],
  detect: (sample) => bestObjectScore(sample, shapeScore),
  createMapper: statelessMapper(mapOpenAiLine),
};

function shapeScore(o: JsonObject): number {
  if ('custom_id' in o && ('response' in o || 'error' in o) && !('result' in o)) return 0.97;
  const object = o['object'];
  if (object === 'chat.completion' || object === 'chat.completion.chunk' || object === 'response') return 0.95;
  const type = o['type'];
  if (typeof type === 'string' && type.startsWith('response.') && asObject(o['response'])?.['object'] === 'response') return 0.95;
  const inner = wrappedBody(o);
  if (inner && inner !== o) {
    const innerObject = inner['object'];
    if (innerObject === 'chat.completion' || innerObject === 'response') return 0.9;
  }
  const id = stringOf(o['id']) ?? '';
  const usage = asObject(o['usage']) ?? asObject(inner?.['usage']);
  if (usage && (id.startsWith('chatcmpl-') || id.startsWith('resp_'))) return 0.9;
  if (usage && 'prompt_tokens' in usage && 'completion_tokens' in usage && 'created' in o) return 0.7;
  if (usage && 'input_tokens_details' in usage) return 0.7;
  return 0;
}

/** Maps one line of an OpenAI log. */
export function mapOpenAiLine(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  if ('custom_id' in o && ('response' in o || 'error' in o)) return mapBatchLine(o, lineNumber);
  const type = o['type'];
  if (typeof type === 'string' && type.startsWith('response.')) {
    // Stream events: only the terminal ones carry the whole response with its usage.
    const response = asObject(o['response']);
    const terminal = type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed';
    return terminal && response ? mapBody(response, lineNumber, {}, undefined) : NOTHING;
  }
  const inner = wrappedBody(o);
  if (inner) {
    const problems: string[] = [];
    const context = logContextOf(o, problems);
    if (problems.length > 0) return [errorItem(lineNumber, problems.join('; '))];
    return mapBody(inner, lineNumber, context, undefined);
  }
  return mapBody(o, lineNumber, {}, undefined);
}

function mapBatchLine(o: JsonObject, lineNumber: number): readonly MappedItem[] {
  const response = asObject(o['response']);
  const body = asObject(response?.['body']);
  const statusCode = response?.['status_code'];
  const id = stringOf(o['id']) ?? stringOf(body?.['id']) ?? stringOf(o['custom_id']);
  if (response && statusCode === 200 && body) return mapBody(body, lineNumber, {}, { id });
  // A failed request: an error body and, as a rule, no usage, model or time to record it by.
  if (body && 'model' in body && ('created' in body || 'created_at' in body)) return mapBody(body, lineNumber, {}, { id, status: 'error' });
  const message = stringOf(asObject(o['error'])?.['message']) ?? stringOf(asObject(body?.['error'])?.['message']) ?? 'no response';
  const http = typeof statusCode === 'number' ? `HTTP ${statusCode}: ` : '';
  return [errorItem(lineNumber, `batch request ${stringOf(o['custom_id']) ?? '?'} failed (${http}${message}); it has no usage, model or time to record`)];
}

function mapBody(body: JsonObject, lineNumber: number, context: LogContext, batch: BatchContext | undefined): readonly MappedItem[] {
  const usage = asObject(body['usage']);
  if (!usage) {
    // Streamed chunks carry `usage: null` but the last; a response still in progress has none yet.
    if (body['object'] === 'chat.completion.chunk' || body['status'] === 'in_progress' || body['status'] === 'queued') return NOTHING;
    return [errorItem(lineNumber, 'no usage object (a streamed response logs it only with stream_options.include_usage)')];
  }
  const problems: string[] = [];
  const tokens = 'prompt_tokens' in usage || 'completion_tokens' in usage ? chatTokens(usage, problems) : 'input_tokens' in usage || 'output_tokens' in usage ? responsesTokens(usage, problems) : undefined;
  if (!tokens) return [errorItem(lineNumber, 'usage has neither prompt_tokens (Chat Completions) nor input_tokens (Responses API)')];

  const created = 'created' in body ? unixSecondsToIso(body['created']) : 'created_at' in body ? unixSecondsToIso(body['created_at']) : undefined;
  if (created === null) problems.push(`created: not Unix seconds: ${JSON.stringify(body['created'] ?? body['created_at'])}`);
  const ts = created ?? context.ts ?? isoTimeOf(body['timestamp']);
  if (ts === undefined) problems.push('no time: the body has no `created`/`created_at` and the line no `timestamp`');
  else if (ts === null && created !== null) problems.push(`timestamp: not a time: ${JSON.stringify(body['timestamp'])}`);
  const model = stringOf(body['model']);
  if (model === undefined) problems.push('no model');
  if (problems.length > 0 || !ts || !model) return [errorItem(lineNumber, problems.join('; '))];

  const { prompt, cached, cacheWrite } = tokens;
  if (cached + cacheWrite > prompt) {
    return [errorItem(lineNumber, `cached (${cached}) and cache-write (${cacheWrite}) tokens exceed the ${tokens.promptName} (${prompt}) that includes them`)];
  }
  const status = batch?.status ?? statusOf(body);
  if (status === 'pending') return NOTHING;
  const metadata = asObject(body['metadata']);
  const id = batch?.id ?? stringOf(body['id']);
  const maxOutput = body['max_output_tokens'];
  const record: UsageRecordInput = {
    ts,
    provider: OPENAI_MODEL.test(model) ? 'openai' : undefined,
    model,
    inputTokens: prompt - cached - cacheWrite,
    outputTokens: tokens.completion,
    cacheReadTokens: cached,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: tokens.reasoning,
    status,
    latencyMs: context.latencyMs,
    project: context.project ?? stringOf(metadata?.['project']),
    feature: context.feature ?? stringOf(metadata?.['feature']),
    user: context.user ?? stringOf(body['user']) ?? stringOf(metadata?.['user']),
    maxOutputTokens: typeof maxOutput === 'number' && maxOutput >= 1 ? maxOutput : undefined,
  };
  if (id !== undefined) record.id = idOf(id);
  if (batch) {
    record.batch = true;
    record.interactive = false;
  }
  return [checkedItem(lineNumber, record)];
}

interface Tokens {
  promptName: string;
  prompt: number;
  completion: number;
  cached: number;
  cacheWrite: number;
  reasoning: number | undefined;
}

/** Chat Completions `CompletionUsage`; DeepSeek's hit/miss partition is read as a cached subset too. */
function chatTokens(usage: JsonObject, problems: string[]): Tokens {
  const details = asObject(usage['prompt_tokens_details']);
  const prompt = countOf(usage['prompt_tokens'], 'usage.prompt_tokens', problems);
  const completion = countOf(usage['completion_tokens'], 'usage.completion_tokens', problems);
  const cached = countOf(details?.['cached_tokens'], 'usage.prompt_tokens_details.cached_tokens', problems) ?? countOf(usage['prompt_cache_hit_tokens'], 'usage.prompt_cache_hit_tokens', problems);
  const cacheWrite = countOf(details?.['cache_write_tokens'], 'usage.prompt_tokens_details.cache_write_tokens', problems);
  const reasoning = countOf(asObject(usage['completion_tokens_details'])?.['reasoning_tokens'], 'usage.completion_tokens_details.reasoning_tokens', problems);
  if (prompt === undefined && !problems.length) problems.push('usage.prompt_tokens: missing');
  return { promptName: 'prompt_tokens', prompt: prompt ?? 0, completion: completion ?? 0, cached: cached ?? 0, cacheWrite: cacheWrite ?? 0, reasoning };
}

/** Responses API `ResponseUsage`. */
function responsesTokens(usage: JsonObject, problems: string[]): Tokens {
  const details = asObject(usage['input_tokens_details']);
  const prompt = countOf(usage['input_tokens'], 'usage.input_tokens', problems);
  const completion = countOf(usage['output_tokens'], 'usage.output_tokens', problems);
  const cached = countOf(details?.['cached_tokens'], 'usage.input_tokens_details.cached_tokens', problems);
  const cacheWrite = countOf(details?.['cache_write_tokens'], 'usage.input_tokens_details.cache_write_tokens', problems);
  const reasoning = countOf(asObject(usage['output_tokens_details'])?.['reasoning_tokens'], 'usage.output_tokens_details.reasoning_tokens', problems);
  if (prompt === undefined && !problems.length) problems.push('usage.input_tokens: missing');
  return { promptName: 'input_tokens', prompt: prompt ?? 0, completion: completion ?? 0, cached: cached ?? 0, cacheWrite: cacheWrite ?? 0, reasoning };
}

/** A Responses API status; Chat Completions responses that were logged completed. */
function statusOf(body: JsonObject): 'ok' | 'error' | 'pending' {
  switch (body['status']) {
    case 'failed':
    case 'cancelled':
      return 'error';
    case 'in_progress':
    case 'queued':
      return 'pending';
    default:
      // `completed`, and `incomplete` (stopped at a limit, billed as produced), or no status (Chat).
      return asObject(body['error']) ? 'error' : 'ok';
  }
}
