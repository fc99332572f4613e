import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isAbsent, isoTimeOf, objectOrJsonString, stringOf, type JsonObject } from './field-readers.js';
import { splitCacheWrites } from './cache-write-split.js';
import { checkedItem, errorItem, NOTHING, type MappedItem, type UsageFormat } from './usage-format.js';

/** Columns that together only a LiteLLM SpendLogs row has. */
const SIGNATURE = ['request_id', 'prompt_tokens', 'completion_tokens'] as const;
const SIGNATURE_EXTRA = ['spend', 'call_type', 'startTime', 'model_group', 'api_key'] as const;

/** Ids LiteLLM writes when the provider gave none (`id: null` becomes "None"): no key at all. */
const NO_ID = new Set(['', 'none', 'null', 'undefined']);

/** Call types that fetch or manage something already logged: no new tokens (FORMATS.md §3, #17814). */
const RETRIEVAL_CALL = /^a?(get|retrieve|list|delete|cancel)_/;

/**
 * LiteLLM proxy spend logs (`LiteLLM_SpendLogs` rows, shared/FORMATS.md §3), as JSON lines (or a
 * JSON array, as `GET /spend/logs?summarize=false` answers) or a CSV export of the table. CSV
 * cells are text; numbers and the `metadata` JSON are read from it.
 *
 * `prompt_tokens` follows OpenAI's convention in LiteLLM's usage object (cache reads and writes
 * inside it), and the cache counts live in `metadata.additional_usage_values`, with the 1-hour
 * cache writes apart where LiteLLM records them (`prompt_tokens_details.cache_creation_token_details`). Whether every
 * provider path includes them is unverified, so: when the cache counts fit inside
 * `prompt_tokens` they are taken as included and subtracted; when they exceed it the prompt is
 * taken as the uncached part. Proxy cache hits (`cache_hit` "True") and retrievals of stored
 * responses (`aget_responses`, …) cost nothing at the provider and are skipped.
 */
export const litellmFormat: UsageFormat = {
  name: 'litellm',
  title: 'LiteLLM proxy spend logs (SpendLogs rows as JSON lines or a CSV export)',
  framings: ['json', 'csv'],
  detect(sample) {
    const candidates: Array<JsonObject | undefined> = sample.csvHeader
      ? [Object.fromEntries(sample.csvHeader.map((name) => [name, '']))]
      : sample.values.map(asObject);
    let best = 0;
    for (const o of candidates) {
      if (!o || !SIGNATURE.every((k) => k in o)) continue;
      best = Math.max(best, SIGNATURE_EXTRA.some((k) => k in o) ? 0.95 : 0.75);
    }
    return best;
  },
  createMapper() {
    return { map: mapLiteLlmRow, flush: () => NOTHING };
  },
};

/** Maps one SpendLogs row (a JSON object, or a CSV row of text cells). */
export function mapLiteLlmRow(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const row = asObject(unit);
  if (!row) return [errorItem(lineNumber, 'expected a JSON object')];
  const callType = stringOf(row['call_type']) ?? '';
  if (RETRIEVAL_CALL.test(callType) || isTrue(row['cache_hit'])) return NOTHING;

  const problems: string[] = [];
  const metadata = objectOrJsonString(row['metadata']);
  const extra = objectOrJsonString(metadata?.['additional_usage_values']);
  const prompt = countOf(row['prompt_tokens'], 'prompt_tokens', problems);
  const completion = countOf(row['completion_tokens'], 'completion_tokens', problems);
  const cacheRead =
    countOf(extra?.['cache_read_input_tokens'], 'metadata.additional_usage_values.cache_read_input_tokens', problems) ??
    countOf(asObject(extra?.['prompt_tokens_details'])?.['cached_tokens'], 'metadata.additional_usage_values.prompt_tokens_details.cached_tokens', problems) ??
    0;
  const promptDetails = asObject(extra?.['prompt_tokens_details']);
  // The 1-hour split: LiteLLM's usage keeps it in prompt_tokens_details.cache_creation_token_details,
  // an Anthropic pass-through in cache_creation; either way a breakdown of the write total.
  const writeDetails = asObject(promptDetails?.['cache_creation_token_details']) ?? asObject(extra?.['cache_creation']);
  const detailsName = promptDetails?.['cache_creation_token_details'] !== undefined ? 'metadata.additional_usage_values.prompt_tokens_details.cache_creation_token_details' : 'metadata.additional_usage_values.cache_creation';
  const writes = splitCacheWrites(
    {
      total:
        countOf(extra?.['cache_creation_input_tokens'], 'metadata.additional_usage_values.cache_creation_input_tokens', problems) ??
        countOf(promptDetails?.['cache_creation_tokens'], 'metadata.additional_usage_values.prompt_tokens_details.cache_creation_tokens', problems),
      write5m: countOf(writeDetails?.['ephemeral_5m_input_tokens'], `${detailsName}.ephemeral_5m_input_tokens`, problems),
      write1h: countOf(writeDetails?.['ephemeral_1h_input_tokens'], `${detailsName}.ephemeral_1h_input_tokens`, problems),
    },
    { total: 'metadata.additional_usage_values.cache_creation_input_tokens', write1h: `${detailsName}.ephemeral_1h_input_tokens` },
    problems,
  );
  const cacheWrite = (writes.cacheWriteTokens ?? 0) + (writes.cacheWrite1hTokens ?? 0);
  const reasoning = countOf(asObject(extra?.['completion_tokens_details'])?.['reasoning_tokens'], 'metadata.additional_usage_values.completion_tokens_details.reasoning_tokens', problems);
  if (prompt === undefined && completion === undefined && problems.length === 0) problems.push('no prompt_tokens or completion_tokens');

  const ts = isoTimeOf(row['startTime']);
  if (!ts) problems.push(ts === null ? `startTime: not a time: ${JSON.stringify(row['startTime'])}` : 'no startTime');
  const provider = stringOf(row['custom_llm_provider']);
  const rawModel = stringOf(row['model']) ?? stringOf(row['model_group']);
  if (!rawModel) problems.push('no model');
  const spend = amountOf(row['spend'], 'spend', problems);
  const latencyMs = amountOf(row['request_duration_ms'], 'request_duration_ms', problems) ?? durationMs(row['startTime'], row['endTime']);
  if (problems.length > 0 || !ts || !rawModel) return [errorItem(lineNumber, problems.join('; '))];

  const promptTokens = prompt ?? 0;
  const included = cacheRead + cacheWrite <= promptTokens;
  const model = provider && rawModel.startsWith(`${provider}/`) ? rawModel.slice(provider.length + 1) : rawModel;
  const requestId = stringOf(row['request_id']);
  const status = stringOf(row['status']) ?? stringOf(metadata?.['status']);
  const spendMetadata = objectOrJsonString(metadata?.['spend_logs_metadata']);
  const record: UsageRecordInput = {
    ts,
    provider,
    model,
    inputTokens: included ? promptTokens - cacheRead - cacheWrite : promptTokens,
    outputTokens: completion ?? 0,
    cacheReadTokens: cacheRead,
    ...writes,
    reasoningTokens: reasoning,
    latencyMs,
    status: status !== undefined && /^(failure|failed|error)$/i.test(status) ? 'error' : 'ok',
    project: stringOf(metadata?.['user_api_key_team_alias']) ?? stringOf(row['team_id']) ?? stringOf(metadata?.['user_api_key_team_id']),
    feature: stringOf(spendMetadata?.['feature']),
    user: stringOf(row['end_user']) ?? stringOf(row['user']) ?? stringOf(metadata?.['user_api_key_alias']),
    costUsd: spend,
  };
  if (requestId !== undefined && !NO_ID.has(requestId.trim().toLowerCase())) record.id = idOf(requestId);
  return [checkedItem(lineNumber, record)];
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

function durationMs(start: unknown, end: unknown): number | undefined {
  if (isAbsent(start) || isAbsent(end)) return undefined;
  const a = isoTimeOf(start);
  const b = isoTimeOf(end);
  if (!a || !b) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  return ms >= 0 ? ms : undefined;
}
