import type { UsageRecordInput } from '@tally/protocol';
import { countOf, idOf, isoTimeOf, stringOf, type JsonObject } from '../formats/field-readers.js';
import { checkedItem, errorItem, NOTHING, type MappedItem } from '../formats/usage-format.js';

/**
 * Codex CLI's `codex.sse_event` of kind `response.completed` (its `[otel]` log exporter): the one
 * event with a call's counts (`codex.api_request` has none, the metrics repeat them). Counts are
 * OpenAI's, as in the session rollouts codex-format.ts reads: `input_token_count` includes
 * `cached_token_count`, `output_token_count` includes `reasoning_token_count`. The person is
 * `user.email`, else `user.account_id`; the key is (conversation, event time).
 */
export function mapCodexSseEvent(a: JsonObject, recordTime: string | undefined, position: number): readonly MappedItem[] {
  if (a['event.kind'] !== 'response.completed' || a['input_token_count'] === undefined) return NOTHING;
  const problems: string[] = [];
  const input = countOf(a['input_token_count'], 'input_token_count', problems) ?? 0;
  const cached = countOf(a['cached_token_count'], 'cached_token_count', problems) ?? 0;
  const output = countOf(a['output_token_count'], 'output_token_count', problems) ?? 0;
  const reasoning = countOf(a['reasoning_token_count'], 'reasoning_token_count', problems) ?? 0;
  const eventTime = isoTimeOf(a['event.timestamp']);
  const ts = eventTime ?? recordTime;
  if (!ts) problems.push('no time: no event.timestamp and no record time');
  const model = stringOf(a['model']) ?? stringOf(a['slug']);
  if (!model) problems.push('no model');
  if (cached > input) problems.push(`cached_token_count (${cached}) exceeds input_token_count (${input}), which includes it`);
  if (problems.length > 0 || !ts || !model) return [errorItem(position, `codex.sse_event: ${problems.join('; ')}`)];
  const record: UsageRecordInput = {
    ts,
    provider: 'openai',
    model,
    inputTokens: input - cached,
    cacheReadTokens: cached,
    outputTokens: output,
    reasoningTokens: Math.min(reasoning, output),
    feature: 'codex',
    user: stringOf(a['user.email']) ?? stringOf(a['user.account_id']),
  };
  const conversation = stringOf(a['conversation.id']);
  if (conversation && eventTime) record.id = idOf(conversation, eventTime);
  return [checkedItem(position, record)];
}
