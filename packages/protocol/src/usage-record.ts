import { z } from 'zod';
import { int32, isoTime, safeText } from './safe-text.js';

/**
 * Tally's normalized usage record: one LLM call, one line of NDJSON. Token buckets are disjoint
 * (see shared/FORMATS.md section 0): `inputTokens` is the uncached input only; cache reads and
 * writes are counted apart; `reasoningTokens` is a subset of `outputTokens`.
 */
export const UsageRecordSchema = z
  .object({
    /** The provider's request id when there is one; the key that makes re-ingestion idempotent. */
    id: safeText().min(1).max(200).optional(),
    /** When the call was made (ISO-8601 with a zone). */
    ts: isoTime(),
    provider: safeText().min(1).max(64).optional(),
    model: safeText().min(1).max(200),
    project: safeText().min(1).max(200).default('default'),
    feature: safeText().min(1).max(200).default('default'),
    /** Your own end user or API key label, if you track it. */
    user: safeText().max(200).optional(),
    inputTokens: int32(0),
    outputTokens: int32(0),
    cacheReadTokens: int32(0).default(0),
    /** Cache writes kept for 5 minutes (Anthropic's default TTL), or of unknown duration. */
    cacheWriteTokens: int32(0).default(0),
    /** Cache writes kept for 1 hour (billed higher: 2x input on Anthropic); disjoint from `cacheWriteTokens`. */
    cacheWrite1hTokens: int32(0).default(0),
    reasoningTokens: int32(0).optional(),
    latencyMs: z.number().min(0).optional(),
    status: z.enum(['ok', 'error', 'timeout']).default('ok'),
    /** Whether a person waited for the answer; false marks batchable traffic. */
    interactive: z.boolean().default(true),
    /** Sent through a provider's batch API (billed at the batch price). */
    batch: z.boolean().default(false),
    /** The max output tokens the request allowed. */
    maxOutputTokens: int32(1).optional(),
    /** A hash of the request's stable prefix (system prompt, tools): repeats are cacheable. */
    promptPrefixHash: safeText().max(128).optional(),
    /** Tokens in that prefix. */
    prefixTokens: int32(0).optional(),
    /** 1 for a first attempt, 2+ for retries of the same logical request. */
    attempt: int32(1).default(1),
    /** The cost the source reported, in USD, kept for reference; Tally prices calls itself. */
    costUsd: z.number().min(0).optional(),
  })
  .strict()
  .refine((r) => r.reasoningTokens === undefined || r.reasoningTokens <= r.outputTokens, {
    message: 'reasoningTokens must not exceed outputTokens',
    path: ['reasoningTokens'],
  })
  .refine((r) => r.prefixTokens === undefined || r.prefixTokens <= r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens + r.cacheWrite1hTokens, {
    message: 'prefixTokens must not exceed the input tokens',
    path: ['prefixTokens'],
  });
/** A record as written in a file (defaults not yet applied). */
export type UsageRecordInput = z.input<typeof UsageRecordSchema>;
/** A record after validation, defaults applied. */
export type UsageRecord = z.infer<typeof UsageRecordSchema>;
