import type { UsageRecordInput } from '@tally/protocol';
import { anthropicTokens } from '../formats/anthropic-format.js';
import { amountOf, idOf, isoTimeOf, stringOf, type JsonObject } from '../formats/field-readers.js';
import { checkedItem, errorItem, type MappedItem } from '../formats/usage-format.js';

/**
 * Claude Code's `claude_code.api_request` event (its OpenTelemetry logs, `OTEL_LOGS_EXPORTER=otlp`):
 * one record per API call, with Anthropic's counts under Claude Code's names (`input_tokens`
 * excludes the cache; `cache_read_tokens`, `cache_creation_tokens`), its own `cost_usd` and
 * `duration_ms`. Read with the Anthropic usage mapping the session-log format uses. The person is
 * `user.email`, else `user.id` (a device id), else `user.account_uuid`. The key is the request id
 * when the event has one, else (session, event time, sequence): a re-export adds nothing.
 */
export function mapClaudeCodeApiRequest(a: JsonObject, recordTime: string | undefined, position: number): MappedItem {
  const problems: string[] = [];
  const tokens = anthropicTokens(
    {
      input_tokens: a['input_tokens'],
      output_tokens: a['output_tokens'],
      cache_read_input_tokens: a['cache_read_tokens'],
      cache_creation_input_tokens: a['cache_creation_tokens'],
    },
    problems,
    'claude_code.api_request',
  );
  const eventTime = isoTimeOf(a['event.timestamp']);
  const ts = eventTime ?? recordTime;
  if (!ts) problems.push('no time: no event.timestamp and no record time');
  const model = stringOf(a['model']);
  if (!model) problems.push('no model');
  const costUsd = amountOf(a['cost_usd'], 'cost_usd', problems);
  const latencyMs = amountOf(a['duration_ms'], 'duration_ms', problems);
  if (problems.length > 0 || !ts || !model) return errorItem(position, `claude_code.api_request: ${problems.join('; ')}`);
  const record: UsageRecordInput = {
    ts,
    provider: model.toLowerCase().startsWith('claude') ? 'anthropic' : undefined,
    model,
    ...tokens,
    latencyMs,
    feature: 'claude-code',
    user: stringOf(a['user.email']) ?? stringOf(a['user.id']) ?? stringOf(a['user.account_uuid']),
    costUsd,
  };
  const requestId = stringOf(a['request_id']) ?? stringOf(a['request.id']);
  const session = stringOf(a['session.id']);
  if (requestId) record.id = idOf(requestId);
  else if (session && eventTime) {
    const sequence = stringOf(a['event.sequence']);
    record.id = sequence === undefined ? idOf(session, eventTime) : idOf(session, eventTime, sequence);
  }
  return checkedItem(position, record);
}
