import type { UsageRecordInput } from '@tally/protocol';
import { anthropicTokens } from './anthropic-format.js';
import { amountOf, asObject, idOf, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';
import { checkedItem, errorItem, NOTHING, type MappedItem, type UsageFormat, type UsageMapper } from './usage-format.js';

/**
 * Distinct messages held back to merge their repeated lines. Claude Code writes the lines of one
 * response next to each other, so a few suffice; this many keeps memory small and fixed while
 * leaving room for interleaved sub-agent lines.
 */
export const CLAUDE_CODE_WINDOW = 1000;

/**
 * Claude Code session logs (`~/.claude/projects/<cwd>/<session>.jsonl`, shared/FORMATS.md §5a).
 * Only `assistant` lines with `message.usage` are calls; every other line type is skipped, and so
 * is the locally generated `<synthetic>` model. Sidechain (sub-agent) lines are real calls and
 * count. Usage is Anthropic's (input excludes the cache).
 *
 * One response is written as several lines (one per content block) with the same `message.id`
 * and `requestId`, the earlier ones with a partial `output_tokens`: summing them overcounts and
 * keeping the first undercounts. Lines with the same key are merged within a window of recent
 * messages, keeping the line with the largest token total (the last one on a tie); the key then
 * makes a later ingest of the same lines add nothing.
 */
export const claudeCodeFormat: UsageFormat = {
  name: 'claude-code',
  title: 'Claude Code session logs (~/.claude/projects/**/*.jsonl)',
  framings: ['json'],
  detect(sample) {
    let best = 0;
    for (const value of sample.values) {
      const o = asObject(value);
      if (!o) continue;
      if (typeof o['sessionId'] === 'string' && typeof o['type'] === 'string' && ('uuid' in o || 'parentUuid' in o)) return 0.98;
      if ((o['type'] === 'summary' && 'leafUuid' in o) || (o['type'] === 'file-history-snapshot' && 'snapshot' in o)) best = 0.9;
    }
    return best;
  },
  createMapper: () => createClaudeCodeMapper(CLAUDE_CODE_WINDOW),
};

interface Held {
  item: MappedItem;
  total: number;
}

/** A Claude Code mapper that merges repeated lines among the last `window` distinct messages. */
export function createClaudeCodeMapper(window: number): UsageMapper {
  // Insertion order is recency: a key seen again moves to the end; the oldest leaves first.
  const held = new Map<string, Held>();

  return {
    map(unit, lineNumber) {
      const o = asObject(unit);
      if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
      const mapped = mapAssistantLine(o, lineNumber);
      if (!mapped) return NOTHING;
      const { item, key, total } = mapped;
      if (key === undefined || 'error' in item) return [item];
      const previous = held.get(key);
      if (previous) {
        held.delete(key);
        held.set(key, total >= previous.total ? { item, total } : previous);
        return NOTHING;
      }
      held.set(key, { item, total });
      if (held.size <= window) return NOTHING;
      const oldest = held.entries().next().value;
      if (!oldest) return NOTHING;
      held.delete(oldest[0]);
      return [oldest[1].item];
    },
    flush() {
      const rest = [...held.values()].map((h) => h.item);
      held.clear();
      return rest;
    },
  };
}

function mapAssistantLine(o: JsonObject, lineNumber: number): { item: MappedItem; key: string | undefined; total: number } | undefined {
  if (o['type'] !== 'assistant') return undefined;
  const message = asObject(o['message']);
  const usage = asObject(message?.['usage']);
  if (!message || !usage) return undefined;
  const model = stringOf(message['model']);
  if (model === '<synthetic>') return undefined;
  const problems: string[] = [];
  const tokens = anthropicTokens(usage, problems, 'message.usage');
  const ts = isoTimeOf(o['timestamp']);
  if (!ts) problems.push(ts === null ? `timestamp: not a time: ${JSON.stringify(o['timestamp'])}` : 'no timestamp');
  if (!model) problems.push('no message.model');
  const costUsd = amountOf(o['costUSD'], 'costUSD', problems);
  if (problems.length > 0 || !ts || !model) return { item: errorItem(lineNumber, problems.join('; ')), key: undefined, total: 0 };
  const messageId = stringOf(message['id']);
  const requestId = stringOf(o['requestId']);
  // Some proxies and sub-agent paths write no requestId: the message id alone still keys the call.
  const key = messageId === undefined ? undefined : requestId === undefined ? idOf(messageId) : idOf(messageId, requestId);
  const record: UsageRecordInput = {
    ts,
    provider: model.toLowerCase().startsWith('claude') ? 'anthropic' : undefined,
    model,
    ...tokens,
    status: o['isApiErrorMessage'] === true ? 'error' : 'ok',
    project: projectOf(o['cwd']),
    feature: o['isSidechain'] === true ? 'claude-code/subagent' : 'claude-code',
    costUsd,
  };
  if (key !== undefined) record.id = key;
  const total =
    (tokens.inputTokens ?? 0) + (tokens.outputTokens ?? 0) + (tokens.cacheReadTokens ?? 0) + (tokens.cacheWriteTokens ?? 0) + (tokens.cacheWrite1hTokens ?? 0);
  return { item: checkedItem(lineNumber, record), key, total };
}

/** The project of a session: the last segment of its working directory. */
function projectOf(cwd: unknown): string | undefined {
  const path = stringOf(cwd);
  if (!path) return undefined;
  const segments = path.split(/[\\/]+/).filter((s) => s !== '');
  return segments.at(-1)?.slice(0, 200);
}
