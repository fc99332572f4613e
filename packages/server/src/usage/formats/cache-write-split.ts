import type { UsageRecordInput } from '@tally/protocol';

/**
 * A source's cache writes as Tally's two buckets: 5-minute (or unknown-duration) writes in
 * `cacheWriteTokens`, 1-hour writes in `cacheWrite1hTokens` (billed higher: Anthropic 2x input
 * against 1.25x). Anthropic logs the write total (`cache_creation_input_tokens`) and, since the
 * 1-hour TTL exists, its split (`cache_creation.ephemeral_5m_input_tokens` /
 * `ephemeral_1h_input_tokens`); the split is a breakdown of the total, never added on top.
 *
 * The total, when present, is kept: the 5-minute part is what the 1-hour part leaves of it. A
 * record with no split counts every write as 5-minute (how older logs were billed by default, and
 * what shared/FORMATS.md §2a says to assume). A 1-hour part larger than the total is refused.
 */
export function splitCacheWrites(
  counts: { total: number | undefined; write5m: number | undefined; write1h: number | undefined },
  names: { total: string; write1h: string },
  problems: string[],
): Pick<UsageRecordInput, 'cacheWriteTokens' | 'cacheWrite1hTokens'> {
  const { total, write5m, write1h } = counts;
  if (write1h === undefined) return { cacheWriteTokens: total ?? write5m ?? 0, cacheWrite1hTokens: 0 };
  if (total === undefined) return { cacheWriteTokens: write5m ?? 0, cacheWrite1hTokens: write1h };
  if (write1h > total) {
    problems.push(`${names.write1h} (${write1h}) exceeds the cache writes it is part of, ${names.total} (${total})`);
    return { cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
  }
  return { cacheWriteTokens: total - write1h, cacheWrite1hTokens: write1h };
}
