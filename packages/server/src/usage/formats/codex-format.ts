import type { UsageRecordInput } from '@tally/protocol';
import { asObject, countOf, idOf, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';
import { bestObjectScore, checkedItem, errorItem, NOTHING, type MappedItem, type UsageFormat, type UsageMapper } from './usage-format.js';

/** One `token_count` snapshot: Codex's counts, where cached ⊂ input and reasoning ⊂ output. */
interface CodexCounts {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

/**
 * Codex CLI session rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, shared/FORMATS.md
 * §5b): `{timestamp, type, payload}` lines. Usage is in `event_msg` lines of `payload.type`
 * `token_count`, whose `info.total_token_usage` is **cumulative per session** and is re-emitted
 * unchanged (UI and rate-limit refreshes). So each record is the difference between a session's
 * snapshot and its previous one; an unchanged snapshot adds nothing (the last total wins), and a
 * smaller one starts counting again (a session logged without its `session_meta`). The model is
 * the latest `turn_context`'s. Files of several sessions (concatenated) are read session by
 * session; `tally ingest` cuts such files only before a `session_meta` line.
 */
export const codexFormat: UsageFormat = {
  name: 'codex',
  title: 'Codex CLI session rollouts (~/.codex/sessions/**/rollout-*.jsonl)',
  framings: ['json'],
  detect: (sample) => bestObjectScore(sample, shapeScore),
  createMapper: () => createCodexMapper(),
};

function shapeScore(o: JsonObject): number {
  const payload = asObject(o['payload']);
  if (!payload || !('timestamp' in o)) return 0;
  const type = o['type'];
  if (type === 'session_meta' && ('cli_version' in payload || 'originator' in payload)) return 0.98;
  if (type === 'event_msg' && payload['type'] === 'token_count') return 0.98;
  if (type === 'turn_context' && 'model' in payload) return 0.95;
  if (type === 'response_item' || type === 'event_msg') return 0.7;
  return 0;
}

/** A mapper that follows one session at a time: its id, model, project and last snapshot. */
export function createCodexMapper(): UsageMapper {
  let sessionId: string | undefined;
  let model: string | undefined;
  let project: string | undefined;
  let last: CodexCounts | undefined;
  return {
    map(unit, lineNumber): readonly MappedItem[] {
      const line = asObject(unit);
      if (!line) return [errorItem(lineNumber, 'expected a JSON object')];
      const payload = asObject(line['payload']);
      switch (line['type']) {
        case 'session_meta': {
          sessionId = stringOf(payload?.['id']);
          model = stringOf(payload?.['model']);
          const cwd = stringOf(payload?.['cwd']);
          project = cwd?.split(/[\\/]/).filter((s) => s !== '').pop();
          last = undefined;
          return NOTHING;
        }
        case 'turn_context':
          model = stringOf(payload?.['model']) ?? model;
          return NOTHING;
        case 'event_msg':
          return payload?.['type'] === 'token_count' ? tokenCount(line, payload, lineNumber) : NOTHING;
        default:
          return NOTHING;
      }
    },
    flush: () => NOTHING,
  };

  function tokenCount(line: JsonObject, payload: JsonObject, lineNumber: number): readonly MappedItem[] {
    // Rate-limit refreshes carry `info: null`: no usage.
    const info = asObject(payload['info']);
    if (!info) return NOTHING;
    const problems: string[] = [];
    const total = countsOf(asObject(info['total_token_usage']), 'info.total_token_usage', problems);
    const turn = total ? undefined : countsOf(asObject(info['last_token_usage']), 'info.last_token_usage', problems);
    if (problems.length > 0) return [errorItem(lineNumber, problems.join('; '))];
    let delta: CodexCounts;
    if (total) {
      const previous = last;
      last = total;
      if (previous && sameCounts(previous, total)) return NOTHING;
      delta = previous && !shrank(previous, total) ? minus(total, previous) : total;
    } else if (turn) {
      delta = turn;
    } else {
      return NOTHING;
    }
    if (delta.input + delta.output === 0) return NOTHING;
    const ts = isoTimeOf(line['timestamp']);
    if (!ts) return [errorItem(lineNumber, ts === null ? `timestamp: not a time: ${JSON.stringify(line['timestamp'])}` : 'no timestamp')];
    if (!model) return [errorItem(lineNumber, 'no model: no turn_context line (payload.model) came before this token count')];
    if (delta.cached > delta.input) return [errorItem(lineNumber, `cached input (${delta.cached}) exceeds the input (${delta.input}) that includes it`)];
    const record: UsageRecordInput = {
      ts,
      provider: 'openai',
      model,
      inputTokens: delta.input - delta.cached,
      cacheReadTokens: delta.cached,
      outputTokens: delta.output,
      reasoningTokens: Math.min(delta.reasoning, delta.output),
      project,
      feature: 'codex',
    };
    // The cumulative total names the snapshot: the same session read again keys the same.
    if (sessionId && total) record.id = idOf(sessionId, String(total.total));
    return [checkedItem(lineNumber, record)];
  }
}

function countsOf(usage: JsonObject | undefined, name: string, problems: string[]): CodexCounts | undefined {
  if (!usage) return undefined;
  const input = countOf(usage['input_tokens'], `${name}.input_tokens`, problems) ?? 0;
  const cached = countOf(usage['cached_input_tokens'], `${name}.cached_input_tokens`, problems) ?? 0;
  const output = countOf(usage['output_tokens'], `${name}.output_tokens`, problems) ?? 0;
  const reasoning = countOf(usage['reasoning_output_tokens'], `${name}.reasoning_output_tokens`, problems) ?? 0;
  const total = countOf(usage['total_tokens'], `${name}.total_tokens`, problems) ?? input + output;
  return { input, cached, output, reasoning, total };
}

const KEYS = ['input', 'cached', 'output', 'reasoning', 'total'] as const;

function sameCounts(a: CodexCounts, b: CodexCounts): boolean {
  return KEYS.every((k) => a[k] === b[k]);
}

function shrank(previous: CodexCounts, next: CodexCounts): boolean {
  return KEYS.some((k) => next[k] < previous[k]);
}

function minus(a: CodexCounts, b: CodexCounts): CodexCounts {
  return { input: a.input - b.input, cached: a.cached - b.cached, output: a.output - b.output, reasoning: a.reasoning - b.reasoning, total: a.total - b.total };
}
