import type { UsageAggregateRow } from '../usage/usage-store.js';

// Model families each billed provider serves under its own name. A record without a provider
// (many files carry none) is matched to a bill by its model; one naming a provider (azure,
// bedrock, openrouter...) is that provider's, never OpenAI's or Anthropic's bill.
const OPENAI_MODEL = /^(gpt-|chatgpt-|o\d|text-embedding-|dall-e|whisper|tts-|omni-moderation|davinci|babbage|computer-use|codex-)/i;
const ANTHROPIC_MODEL = /^claude/i;

/** The provider whose bill a request-level row belongs on, lower case; null when none can be said. */
export function billedProviderOf(row: Pick<UsageAggregateRow, 'provider' | 'model'>): string | null {
  if (row.provider) return row.provider.toLowerCase();
  if (ANTHROPIC_MODEL.test(row.model)) return 'anthropic';
  if (OPENAI_MODEL.test(row.model)) return 'openai';
  return null;
}

/**
 * The key a model is matched on between the logs and the bill: lower case, without the dated
 * snapshot suffix (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`), since a log may carry the
 * alias it asked for and the bill the snapshot that answered, or the other way round.
 */
export function modelMatchKey(model: string): string {
  return model.toLowerCase().replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
}

/**
 * The model a cost bucket is for: its own `model`, else the one its line item names. OpenAI's
 * Costs API groups by line item, not model, and names the model there (`gpt-4o-2024-08-06,
 * input`, `..., cached input`, `..., output`); a line item without one (`web search tool calls`)
 * gives ''.
 */
export function billedModelOf(bucket: { model: string; lineItem: string }): string {
  if (bucket.model !== '') return bucket.model;
  return /^([A-Za-z0-9][\w.:/-]*), \S/.exec(bucket.lineItem)?.[1] ?? '';
}
