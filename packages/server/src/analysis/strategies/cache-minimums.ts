/**
 * The shortest prompt prefix each provider caches, per model, from the providers' own docs
 * (checked 2026-12; a prefix below its model's minimum is billed as plain input, however often
 * it repeats, so caching it saves nothing):
 *
 * | Models | Minimum | Source |
 * |---|---|---|
 * | Claude Haiku 4.5, Opus 4.5, Opus 4.6 | 4,096 | Anthropic, Prompt caching: "Cache limitations" (https://docs.claude.com/en/docs/build-with-claude/prompt-caching) |
 * | Claude Haiku 3, Haiku 3.5 | 2,048 | same page |
 * | Claude Sonnet 3.7/4/4.5/4.6, Opus 4/4.1, other Claude | 1,024 | same page |
 * | OpenAI (gpt-4o and later, o-series) | 1,024, then whole 128-token steps | OpenAI, Prompt caching (https://platform.openai.com/docs/guides/prompt-caching): "cache hits occur in increments of 128 tokens" |
 * | Gemini 2.5 Flash, 2.5 Pro | 2,048 | Google, Context caching, implicit caching table (https://ai.google.dev/gemini-api/docs/caching, updated 2026-10-13; it listed 1,024 for Flash and 4,096 for 2.5 Pro until mid-2026) |
 * | Gemini 3.x (Flash and Pro) and later | 4,096 | same page |
 *
 * Claude models newer than the table (Opus 4.7 and on) are left to the default: their minimum
 * is not confirmed by Anthropic's page as read here. A model in no row gets 1,024 (the most
 * common minimum) and `known: false`: a saving built on an assumed minimum is never given high
 * confidence. Gemini's implicit caching is applied at Google's discretion ("no cost saving
 * guarantee"): `guaranteed: false` keeps its confidence below high too.
 */
export interface CachingRule {
  /** Prefixes shorter than this are never cached. */
  minTokens: number;
  /** Past the minimum, only whole steps of this many tokens are cached (OpenAI: 128); 1 for any length. */
  stepTokens: number;
  /** Whether the minimum comes from the table (true) or is the default (false). */
  known: boolean;
  /** Whether the provider promises the cache price for a cached prefix (false: implicit, best effort). */
  guaranteed: boolean;
}

interface Row {
  /** Tested against the lower-cased model id (a dated snapshot or a provider prefix may surround it). */
  pattern: RegExp;
  rule: Omit<CachingRule, 'known'>;
}

const ROWS: readonly Row[] = [
  { pattern: /claude-(haiku-4[-.]5|opus-4[-.][56])(?![0-9])/, rule: { minTokens: 4096, stepTokens: 1, guaranteed: true } },
  { pattern: /claude-(3[-.]5-haiku|3-haiku|haiku-3)/, rule: { minTokens: 2048, stepTokens: 1, guaranteed: true } },
  { pattern: /claude-(sonnet-4|sonnet-3|3[-.]7-sonnet|3[-.]5-sonnet|opus-4(?![-.][5-9])|3-opus|opus-3)/, rule: { minTokens: 1024, stepTokens: 1, guaranteed: true } },
  { pattern: /(^|\/)(gpt-4o|gpt-4\.1|gpt-5|o1|o3|o4)/, rule: { minTokens: 1024, stepTokens: 128, guaranteed: true } },
  { pattern: /gemini-2[-.]5-(flash|pro)/, rule: { minTokens: 2048, stepTokens: 1, guaranteed: false } },
  { pattern: /gemini-[3-9]/, rule: { minTokens: 4096, stepTokens: 1, guaranteed: false } },
];

export const DEFAULT_CACHING_RULE: CachingRule = { minTokens: 1024, stepTokens: 1, known: false, guaranteed: true };

/** The caching rule of a model (see the table above). */
export function cachingRuleOf(model: string): CachingRule {
  const id = model.toLowerCase();
  const row = ROWS.find((r) => r.pattern.test(id));
  return row ? { ...row.rule, known: true } : DEFAULT_CACHING_RULE;
}

/** Tokens of a prefix the provider would cache: 0 below the minimum, whole steps past it. */
export function cacheableTokens(prefixTokens: number, rule: CachingRule): number {
  if (prefixTokens < rule.minTokens) return 0;
  return rule.minTokens + Math.floor((prefixTokens - rule.minTokens) / rule.stepTokens) * rule.stepTokens;
}
