/**
 * A small, hand-kept table of model families and quality tiers, used by the cheaper-model strategy.
 * Prices are NOT here: they come from the price catalog. This table only says which cheaper models
 * are a credible replacement for which, so a recommendation never proposes a model that is merely
 * cheap.
 *
 * Tiers (rough capability classes, from public benchmarks and the providers' own positioning):
 * - frontier: a provider's most capable general models;
 * - balanced: the mid-size models most production traffic can run on;
 * - small:    the cheapest models, for classification, extraction, routing.
 *
 * `alternatives` are ordered closest-quality first, at most two tiers down; the strategy weighs each
 * one's quality risk for the traffic's shape (see cheaper-model.ts). Review when providers ship a
 * generation; an unknown model simply yields no cheaper-model recommendation.
 */
export const MODEL_TIERS = ['frontier', 'balanced', 'small'] as const;
export type ModelTier = (typeof MODEL_TIERS)[number];

export interface ModelTierEntry {
  /** Id prefix, lower case, without provider prefix; the longest matching prefix wins. */
  id: string;
  provider: string;
  family: string;
  tier: ModelTier;
  /** A reasoning model: thinking traffic moved off one to a non-reasoning model is high risk. */
  reasoning: boolean;
  /** Ids (of entries in this table) of cheaper credible replacements, closest quality first. */
  alternatives: string[];
}

const e = (
  id: string,
  provider: string,
  family: string,
  tier: ModelTier,
  alternatives: string[] = [],
  reasoning = false,
): ModelTierEntry => ({ id, provider, family, tier, reasoning, alternatives });

export const MODEL_TIER_TABLE: readonly ModelTierEntry[] = [
  // OpenAI
  e('gpt-4', 'openai', 'gpt-4', 'frontier', ['gpt-4.1', 'gpt-4o']),
  e('gpt-4-turbo', 'openai', 'gpt-4', 'frontier', ['gpt-4.1', 'gpt-4o']),
  e('gpt-4o', 'openai', 'gpt-4o', 'frontier', ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o-mini']),
  e('gpt-4.1', 'openai', 'gpt-4.1', 'frontier', ['gpt-4.1-mini', 'gpt-4.1-nano']),
  e('gpt-4.1-mini', 'openai', 'gpt-4.1', 'balanced', ['gpt-4.1-nano']),
  e('gpt-4.1-nano', 'openai', 'gpt-4.1', 'small'),
  e('gpt-4o-mini', 'openai', 'gpt-4o', 'small'),
  e('gpt-5', 'openai', 'gpt-5', 'frontier', ['gpt-5-mini'], true),
  e('gpt-5-mini', 'openai', 'gpt-5', 'balanced', ['gpt-5-nano'], true),
  e('gpt-5-nano', 'openai', 'gpt-5', 'small', [], true),
  e('o1', 'openai', 'o-series', 'frontier', ['o3', 'o4-mini'], true),
  e('o3', 'openai', 'o-series', 'frontier', ['o4-mini'], true),
  e('o1-mini', 'openai', 'o-series', 'balanced', [], true),
  e('o3-mini', 'openai', 'o-series', 'balanced', [], true),
  e('o4-mini', 'openai', 'o-series', 'balanced', [], true),
  // Anthropic
  e('claude-3-opus', 'anthropic', 'claude-opus', 'frontier', ['claude-opus-4-5', 'claude-sonnet-4']),
  e('claude-opus-4', 'anthropic', 'claude-opus', 'frontier', ['claude-opus-4-5', 'claude-sonnet-4-5']),
  e('claude-opus-4-1', 'anthropic', 'claude-opus', 'frontier', ['claude-opus-4-5', 'claude-sonnet-4-5']),
  e('claude-opus-4-5', 'anthropic', 'claude-opus', 'frontier', ['claude-sonnet-4-5']),
  e('claude-3-5-sonnet', 'anthropic', 'claude-sonnet', 'balanced', ['claude-haiku-4-5']),
  e('claude-3-7-sonnet', 'anthropic', 'claude-sonnet', 'balanced', ['claude-haiku-4-5']),
  e('claude-sonnet-4', 'anthropic', 'claude-sonnet', 'balanced', ['claude-haiku-4-5']),
  e('claude-sonnet-4-5', 'anthropic', 'claude-sonnet', 'balanced', ['claude-haiku-4-5']),
  e('claude-haiku-4-5', 'anthropic', 'claude-haiku', 'small'),
  e('claude-3-5-haiku', 'anthropic', 'claude-haiku', 'small'),
  e('claude-3-haiku', 'anthropic', 'claude-haiku', 'small'),
  // Google
  e('gemini-1.5-pro', 'google', 'gemini-pro', 'frontier', ['gemini-2.5-flash']),
  e('gemini-2.5-pro', 'google', 'gemini-pro', 'frontier', ['gemini-2.5-flash'], true),
  e('gemini-2.5-flash', 'google', 'gemini-flash', 'balanced', ['gemini-2.5-flash-lite'], true),
  e('gemini-2.0-flash', 'google', 'gemini-flash', 'balanced', ['gemini-2.5-flash-lite']),
  e('gemini-1.5-flash', 'google', 'gemini-flash', 'small'),
  e('gemini-2.5-flash-lite', 'google', 'gemini-flash', 'small'),
  // Mistral
  e('mistral-large', 'mistral', 'mistral', 'frontier', ['mistral-medium']),
  e('mistral-medium', 'mistral', 'mistral', 'balanced', ['mistral-small']),
  e('mistral-small', 'mistral', 'mistral', 'small'),
];

const TIER_RANK: Record<ModelTier, number> = { frontier: 2, balanced: 1, small: 0 };

/** How many tiers `to` sits below `from` (0 for the same tier, negative for a higher one). */
export function tierDrop(from: ModelTier, to: ModelTier): number {
  return TIER_RANK[from] - TIER_RANK[to];
}

/**
 * The table entry of a model id as it appears in usage data: `openai/gpt-4o-2024-08-06` and
 * `GPT-4o` both find `gpt-4o`. A prefix only matches up to a separator, so `gpt-4` does not
 * claim `gpt-4o`, while dated or suffixed ids (`-2024-08-06`, `:latest`, `@001`) still match.
 */
export function findModelTier(model: string, table: readonly ModelTierEntry[] = MODEL_TIER_TABLE): ModelTierEntry | null {
  const id = normalizeModelId(model);
  let best: ModelTierEntry | null = null;
  for (const entry of table) {
    if (!id.startsWith(entry.id)) continue;
    const next = id.charAt(entry.id.length);
    if (next !== '' && next !== '-' && next !== ':' && next !== '@') continue;
    if (!best || entry.id.length > best.id.length) best = entry;
  }
  return best;
}

export function normalizeModelId(model: string): string {
  const lower = model.trim().toLowerCase();
  const slash = lower.lastIndexOf('/');
  return slash >= 0 ? lower.slice(slash + 1) : lower;
}
