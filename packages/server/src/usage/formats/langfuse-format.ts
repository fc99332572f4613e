import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';
import { recordsInEnvelope } from './api-envelope.js';
import { checkedItem, errorItem, NOTHING, type FormatSample, type MappedItem, type UsageFormat } from './usage-format.js';

/** Observation types that are one model call; agents, chains and spans repeat their children's usage. */
const CALL_TYPES = new Set(['GENERATION', 'EMBEDDING']);

/**
 * Langfuse observation exports (`GET /api/public/observations`, v1 or v2, the UI's and blob
 * exports; shared/FORMATS.md §6a), as JSON lines, a JSON array or the API's `{data, meta}` pages.
 * `usageDetails` keys are free-form and **exclusive** buckets (Langfuse's SDKs subtract the cached
 * and reasoning details from `input`/`output`): keys naming a cache read are cache reads, a cache
 * creation/write a cache write (`…1h…` a 1-hour one), other `input…` keys input; `output…` keys
 * are all output, the `…reasoning…` ones also counted as reasoning. The deprecated `usage
 * {input, output}` and `promptTokens`/`completionTokens` are read when `usageDetails` is absent.
 * `costDetails.total` (else `calculatedTotalCost`) is Langfuse's cost, kept for reference.
 * `latency` is in seconds.
 */
export const langfuseFormat: UsageFormat = {
  name: 'langfuse',
  title: 'Langfuse observation exports (JSON lines, a JSON array, or API pages)',
  framings: ['json'],
  detect: detectLangfuse,
  createMapper: () => ({ map: mapLangfuseUnit, flush: () => NOTHING }),
};

function detectLangfuse(sample: FormatSample): number {
  let best = 0;
  for (const value of sample.values) {
    for (const o of recordsInEnvelope(asObject(value))) {
      if ('traceId' in o && typeof o['type'] === 'string' && ('usageDetails' in o || 'costDetails' in o || 'completionStartTime' in o)) return 0.96;
      if ('traceId' in o && typeof o['type'] === 'string' && 'startTime' in o) best = Math.max(best, 0.75);
    }
  }
  return best;
}

/** Maps one unit: an observation, or a page of them. */
export function mapLangfuseUnit(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  return recordsInEnvelope(o).flatMap((observation) => mapObservation(observation, lineNumber));
}

interface Buckets {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
  output: number;
  reasoning: number;
}

function mapObservation(o: JsonObject, lineNumber: number): readonly MappedItem[] {
  const type = stringOf(o['type']);
  if (type !== undefined && !CALL_TYPES.has(type)) return NOTHING;
  const problems: string[] = [];
  const buckets = bucketsOf(o, problems);
  if (!buckets) return NOTHING;
  const ts = isoTimeOf(o['startTime']);
  if (!ts) problems.push(ts === null ? `startTime: not a time: ${JSON.stringify(o['startTime'])}` : 'no startTime');
  const model = stringOf(o['model']);
  if (!model) problems.push('no model');
  const costDetails = asObject(o['costDetails']);
  const cost = amountOf(costDetails?.['total'] ?? o['calculatedTotalCost'] ?? o['totalCost'], 'costDetails.total', problems);
  const latencySeconds = amountOf(o['latency'], 'latency', problems);
  if (problems.length > 0 || !ts || !model) return [errorItem(lineNumber, problems.join('; '))];
  const end = isoTimeOf(o['endTime']);
  const metadata = asObject(o['metadata']);
  const record: UsageRecordInput = {
    ts,
    model,
    inputTokens: buckets.input,
    cacheReadTokens: buckets.cacheRead,
    cacheWriteTokens: buckets.cacheWrite,
    cacheWrite1hTokens: buckets.cacheWrite1h,
    outputTokens: buckets.output,
    reasoningTokens: buckets.reasoning > 0 ? Math.min(buckets.reasoning, buckets.output) : undefined,
    latencyMs: latencySeconds !== undefined ? latencySeconds * 1000 : end ? Math.max(0, Date.parse(end) - Date.parse(ts)) : undefined,
    status: o['level'] === 'ERROR' ? 'error' : 'ok',
    project: stringOf(metadata?.['project']) ?? stringOf(o['environment']),
    feature: stringOf(o['promptName']) ?? stringOf(o['name']),
    user: stringOf(metadata?.['user']) ?? stringOf(o['userId']),
    costUsd: cost,
  };
  const id = stringOf(o['id']);
  if (id) record.id = idOf(id);
  return [checkedItem(lineNumber, record)];
}

/** Tally's buckets from `usageDetails` (or the deprecated fields); undefined when there is no usage. */
function bucketsOf(o: JsonObject, problems: string[]): Buckets | undefined {
  const details = asObject(o['usageDetails']);
  const b: Buckets = { input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0, reasoning: 0 };
  if (details && Object.keys(details).length > 0) {
    let any = false;
    // Cache writes: a total, and/or its TTL split (Anthropic's `ephemeral_5m/1h_input_tokens`).
    let writeTotal = 0;
    let write5m = 0;
    for (const [key, value] of Object.entries(details)) {
      const k = key.toLowerCase();
      if (k === 'total' || !/input|output|cache|prompt|completion|reasoning|ephemeral/.test(k)) continue;
      const n = countOf(value, `usageDetails.${key}`, problems);
      if (n === undefined) continue;
      any = true;
      const write = /ephemeral/.test(k) || (/cache/.test(k) && /creat|write/.test(k));
      if (write && /1h/.test(k)) b.cacheWrite1h += n;
      else if (write && /5m/.test(k)) write5m += n;
      else if (write) writeTotal += n;
      else if (/cache/.test(k) && /read|cached|hit/.test(k)) b.cacheRead += n;
      else if (/output|completion|reasoning/.test(k)) {
        b.output += n;
        if (/reasoning/.test(k)) b.reasoning += n;
      } else b.input += n;
    }
    // A split given beside its total is not added twice: the total less the 1-hour part is 5-minute.
    b.cacheWrite = writeTotal > 0 && b.cacheWrite1h + write5m > 0 ? Math.max(0, writeTotal - b.cacheWrite1h) : writeTotal + write5m;
    return any ? b : undefined;
  }
  const usage = asObject(o['usage']);
  const input = countOf(usage?.['input'] ?? o['promptTokens'], 'usage.input', problems);
  const output = countOf(usage?.['output'] ?? o['completionTokens'], 'usage.output', problems);
  if (input === undefined && output === undefined) return undefined;
  return { ...b, input: input ?? 0, output: output ?? 0 };
}
