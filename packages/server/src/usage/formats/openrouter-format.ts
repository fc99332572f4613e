import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';
import { recordsInEnvelope } from './api-envelope.js';
import { checkedItem, errorItem, NOTHING, type FormatSample, type MappedItem, type UsageFormat } from './usage-format.js';

/**
 * OpenRouter usage (shared/FORMATS.md §9), as JSON lines, a JSON array, the API's `{data: …}`
 * answers, or a CSV export:
 * - **generation records** (`GET /api/v1/generation?id=`, one per call): the provider's own
 *   (`native_tokens_*`) counts are what is billed; `native_tokens_prompt` includes
 *   `native_tokens_cached`, and reasoning is inside the completion. `total_cost` is OpenRouter's
 *   charge, kept for reference. The activity CSV export (`generation_id`, `created_at`,
 *   `cost_total`, `tokens_prompt`, `tokens_cached`, …) is the same record, flattened.
 * - **activity rows** (`GET /api/v1/activity`: one row per UTC day, model and endpoint, summed over
 *   `requests` calls): one record per row at the day's start, `usage` (dollars) as its cost.
 * Models keep OpenRouter's `vendor/model` slug, priced as provider `openrouter`.
 */
export const openrouterFormat: UsageFormat = {
  name: 'openrouter',
  title: 'OpenRouter generation records and activity exports (JSON or CSV)',
  framings: ['json', 'csv'],
  detect: detectOpenRouter,
  createMapper: () => ({ map: mapOpenRouterUnit, flush: () => NOTHING }),
};

function detectOpenRouter(sample: FormatSample): number {
  const header = sample.csvHeader;
  if (header) return header.includes('generation_id') && (header.includes('tokens_prompt') || header.includes('cost_total')) ? 0.95 : 0;
  let best = 0;
  for (const value of sample.values) {
    for (const o of recordsInEnvelope(asObject(value))) best = Math.max(best, shapeScore(o));
  }
  return best;
}

function shapeScore(o: JsonObject): number {
  const id = stringOf(o['id']) ?? '';
  if ('native_tokens_prompt' in o || ('tokens_prompt' in o && ('total_cost' in o || id.startsWith('gen-')))) return 0.97;
  if ('model_permaslug' in o && 'prompt_tokens' in o && 'requests' in o) return 0.95;
  return 0;
}

/** Maps one unit: a generation, an activity row, or an envelope holding them. */
export function mapOpenRouterUnit(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  return recordsInEnvelope(o).map((r) => ('model_permaslug' in r && 'requests' in r && !('generation_id' in r) ? mapActivityRow(r, lineNumber) : mapGeneration(r, lineNumber)));
}

function mapGeneration(g: JsonObject, lineNumber: number): MappedItem {
  const problems: string[] = [];
  const native = 'native_tokens_prompt' in g;
  const prompt = countOf(g[native ? 'native_tokens_prompt' : 'tokens_prompt'], native ? 'native_tokens_prompt' : 'tokens_prompt', problems) ?? 0;
  const completion = countOf(g[native ? 'native_tokens_completion' : 'tokens_completion'], native ? 'native_tokens_completion' : 'tokens_completion', problems) ?? 0;
  const cached = countOf(g[native ? 'native_tokens_cached' : 'tokens_cached'], native ? 'native_tokens_cached' : 'tokens_cached', problems) ?? 0;
  const reasoning = countOf(g[native ? 'native_tokens_reasoning' : 'tokens_reasoning'], native ? 'native_tokens_reasoning' : 'tokens_reasoning', problems);
  const cost = amountOf(g['total_cost'] ?? g['cost_total'], 'total_cost', problems);
  const latency = amountOf(g['latency'] ?? g['generation_time_ms'], 'latency', problems);
  const ts = isoTimeOf(g['created_at']);
  if (!ts) problems.push(ts === null ? `created_at: not a time: ${JSON.stringify(g['created_at'])}` : 'no created_at');
  const model = stringOf(g['model']) ?? stringOf(g['model_permaslug']);
  if (!model) problems.push('no model');
  if (cached > prompt) problems.push(`cached tokens (${cached}) exceed the prompt tokens (${prompt}) that include them`);
  if (problems.length > 0 || !ts || !model) return errorItem(lineNumber, problems.join('; '));
  const cancelled = g['cancelled'] === true || String(g['cancelled']).toLowerCase() === 'true';
  const record: UsageRecordInput = {
    ts,
    provider: 'openrouter',
    model,
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    outputTokens: completion,
    reasoningTokens: reasoning === undefined ? undefined : Math.min(reasoning, completion),
    latencyMs: latency,
    status: cancelled ? 'error' : 'ok',
    project: stringOf(g['app_name']) ?? stringOf(g['api_key_name']),
    user: stringOf(g['user']),
    costUsd: cost,
  };
  const id = stringOf(g['id']) ?? stringOf(g['generation_id']);
  if (id) record.id = idOf(id);
  return checkedItem(lineNumber, record);
}

function mapActivityRow(a: JsonObject, lineNumber: number): MappedItem {
  const problems: string[] = [];
  const prompt = countOf(a['prompt_tokens'], 'prompt_tokens', problems) ?? 0;
  const completion = countOf(a['completion_tokens'], 'completion_tokens', problems) ?? 0;
  const reasoning = countOf(a['reasoning_tokens'], 'reasoning_tokens', problems);
  const cost = amountOf(a['usage'], 'usage', problems);
  const ts = isoTimeOf(a['date']);
  if (!ts) problems.push(ts === null ? `date: not a date: ${JSON.stringify(a['date'])}` : 'no date');
  const model = stringOf(a['model']) ?? stringOf(a['model_permaslug']);
  if (!model) problems.push('no model');
  if (problems.length > 0 || !ts || !model) return errorItem(lineNumber, problems.join('; '));
  const record: UsageRecordInput = {
    id: idOf('activity', ts.slice(0, 10), stringOf(a['model_permaslug']) ?? model, stringOf(a['endpoint_id']) ?? stringOf(a['provider_name']) ?? ''),
    ts,
    provider: 'openrouter',
    model,
    inputTokens: prompt,
    outputTokens: completion,
    reasoningTokens: reasoning === undefined ? undefined : Math.min(reasoning, completion),
    interactive: true,
    feature: 'openrouter/activity',
    costUsd: cost,
  };
  return checkedItem(lineNumber, record);
}
