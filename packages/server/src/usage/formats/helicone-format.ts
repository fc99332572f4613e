import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isoTimeOf, objectOrJsonString, stringOf, type JsonObject } from './field-readers.js';
import { recordsInEnvelope } from './api-envelope.js';
import { checkedItem, errorItem, NOTHING, type FormatSample, type MappedItem, type UsageFormat } from './usage-format.js';

/** Helicone writes this when a request was not served from its gateway cache. */
const NO_CACHE_REFERENCE = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

/**
 * Helicone request exports (`HeliconeRequest` rows from the UI export, `POST /v1/request/query`'s
 * `{data: […]}`, or `GET /v1/request/{id}`; shared/FORMATS.md §6b), as JSON lines, a JSON array or
 * a CSV export with the same column names. Token columns: `prompt_tokens`, `completion_tokens`,
 * `prompt_cache_read_tokens`, `prompt_cache_write_tokens`. Whether `prompt_tokens` includes the
 * cache is not documented per provider, so: Anthropic's (provider `ANTHROPIC` or a `claude` model)
 * is taken as uncached, as Anthropic reports it; for others, when the cache counts fit inside
 * `prompt_tokens` they are taken as included and subtracted, else it is taken as uncached.
 * Gateway-cache hits (`cache_reference_id` set) cost nothing at the provider and are skipped.
 * `costUSD` (or `cost`) is Helicone's estimate, kept for reference.
 */
export const heliconeFormat: UsageFormat = {
  name: 'helicone',
  title: 'Helicone request exports (JSON lines, a JSON array, API answers, or CSV)',
  framings: ['json', 'csv'],
  detect: detectHelicone,
  createMapper: () => ({ map: mapHeliconeUnit, flush: () => NOTHING }),
};

function detectHelicone(sample: FormatSample): number {
  const candidates = sample.csvHeader ? [Object.fromEntries(sample.csvHeader.map((name) => [name, '']))] : sample.values.flatMap((v) => recordsInEnvelope(asObject(v)));
  let best = 0;
  for (const o of candidates) {
    if (!('request_id' in o)) continue;
    if ('request_created_at' in o || 'delay_ms' in o || 'costUSD' in o || 'response_status' in o) best = Math.max(best, 'prompt_tokens' in o || 'request_model' in o ? 0.96 : 0.8);
  }
  return best;
}

/** Maps one unit: a request row, or an API answer holding them. */
export function mapHeliconeUnit(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  return recordsInEnvelope(o).flatMap((r) => mapRequest(r, lineNumber));
}

function mapRequest(r: JsonObject, lineNumber: number): readonly MappedItem[] {
  const cacheReference = stringOf(r['cache_reference_id']);
  if (cacheReference && !NO_CACHE_REFERENCE.test(cacheReference)) return NOTHING;
  const problems: string[] = [];
  const prompt = countOf(r['prompt_tokens'], 'prompt_tokens', problems);
  const completion = countOf(r['completion_tokens'], 'completion_tokens', problems);
  const cacheRead = countOf(r['prompt_cache_read_tokens'], 'prompt_cache_read_tokens', problems) ?? 0;
  const cacheWrite = countOf(r['prompt_cache_write_tokens'], 'prompt_cache_write_tokens', problems) ?? 0;
  if (prompt === undefined && completion === undefined && problems.length === 0) problems.push('no prompt_tokens or completion_tokens');
  const cost = amountOf(r['costUSD'] ?? r['cost'], 'costUSD', problems);
  const latencyMs = amountOf(r['delay_ms'], 'delay_ms', problems);
  const ts = isoTimeOf(r['request_created_at'] ?? r['created_at']);
  if (!ts) problems.push(ts === null ? `request_created_at: not a time: ${JSON.stringify(r['request_created_at'])}` : 'no request_created_at');
  const model = stringOf(r['model_override']) ?? stringOf(r['response_model']) ?? stringOf(r['model']) ?? stringOf(r['request_model']);
  if (!model) problems.push('no model');
  if (problems.length > 0 || !ts || !model) return [errorItem(lineNumber, problems.join('; '))];
  const providerName = stringOf(r['provider'])?.toLowerCase();
  const anthropic = providerName === 'anthropic' || /^claude/i.test(model);
  const promptTokens = prompt ?? 0;
  const included = !anthropic && cacheRead + cacheWrite <= promptTokens;
  const status = Number(r['response_status']);
  const properties = objectOrJsonString(r['properties']) ?? objectOrJsonString(r['request_properties']);
  const record: UsageRecordInput = {
    ts,
    provider: providerName,
    model,
    inputTokens: included ? promptTokens - cacheRead - cacheWrite : promptTokens,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: completion ?? 0,
    latencyMs,
    status: Number.isFinite(status) && status >= 400 ? (status === 408 || status === 504 ? 'timeout' : 'error') : 'ok',
    project: stringOf(properties?.['project']) ?? stringOf(properties?.['Helicone-Property-Project']),
    feature: stringOf(properties?.['feature']) ?? stringOf(properties?.['Helicone-Property-Feature']),
    user: stringOf(r['request_user_id']) ?? stringOf(r['helicone_user']),
    costUsd: cost,
  };
  const id = stringOf(r['request_id']);
  if (id) record.id = idOf(id);
  return [checkedItem(lineNumber, record)];
}
