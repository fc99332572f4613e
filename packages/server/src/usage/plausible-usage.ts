import type { UsageRecord } from '@tally/protocol';

/**
 * Values no real LLM call has: a line holding one is refused on its own, with the reason, and the
 * rest of the upload goes in. Without this a single corrupt line (3e9 tokens, an epoch-zero time)
 * would outweigh a month of good records in every total, projection and recommendation.
 *
 * - Tokens: the largest context windows offered are about 10 million tokens (Llama 4 Scout; Gemini
 *   models take 1-2 million), so no single call reads, or writes, more than that; the limit is
 *   twice it, per direction (input with every cache bucket; output).
 * - Time: LLM usage APIs start in 2020 (GPT-3); anything before 2015 is a unit or parsing error
 *   (seconds read as milliseconds, a zero date). More than a day ahead of the server's clock is
 *   a wrong zone or year, not a call that happened: a day covers any zone and clock skew.
 */
export const MAX_TOKENS_PER_CALL = 20_000_000;
export const EARLIEST_CALL_MS = Date.UTC(2015, 0, 1);
export const MAX_FUTURE_MS = 24 * 3_600_000;

/** Why a schema-valid record cannot be a real call, or null when it can. */
export function implausibility(record: UsageRecord, nowMs: number): string | null {
  const input = record.inputTokens + record.cacheReadTokens + record.cacheWriteTokens + record.cacheWrite1hTokens;
  if (input > MAX_TOKENS_PER_CALL) {
    return `input tokens: ${input} on one call (input ${record.inputTokens}, cache read ${record.cacheReadTokens}, cache writes ${record.cacheWriteTokens + record.cacheWrite1hTokens}) is more than any model reads; the limit is ${MAX_TOKENS_PER_CALL}`;
  }
  if (record.outputTokens > MAX_TOKENS_PER_CALL) return `outputTokens: ${record.outputTokens} on one call is more than any model writes; the limit is ${MAX_TOKENS_PER_CALL}`;
  const at = Date.parse(record.ts);
  if (at < EARLIEST_CALL_MS) return `ts: ${record.ts} is before 2015, before any LLM API: likely a unit or date error`;
  if (at > nowMs + MAX_FUTURE_MS) return `ts: ${record.ts} is more than a day in the future (server time ${new Date(nowMs).toISOString()})`;
  return null;
}
