import { describe, expect, it } from 'vitest';
import { MODEL_TIER_TABLE, findModelTier, tierDrop } from './model-tiers.js';

describe('findModelTier', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai/GPT-4o', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4-0613', 'gpt-4'],
    ['gpt-4-turbo-2024-04-09', 'gpt-4-turbo'],
    ['gpt-4.1-mini', 'gpt-4.1-mini'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['mistral-large-latest', 'mistral-large'],
  ])('%s is %s', (model, id) => {
    expect(findModelTier(model)?.id).toBe(id);
  });

  it('does not let a shorter id claim a different model', () => {
    expect(findModelTier('gpt-4ox')).toBeNull();
    expect(findModelTier('llama-3.1-70b')).toBeNull();
  });
});

describe('MODEL_TIER_TABLE', () => {
  it('names only alternatives that are in the table, never of a higher tier nor more than two down', () => {
    for (const entry of MODEL_TIER_TABLE) {
      for (const alt of entry.alternatives) {
        const target = MODEL_TIER_TABLE.find((e) => e.id === alt);
        expect(target, `${entry.id} -> ${alt}`).toBeDefined();
        expect(tierDrop(entry.tier, target!.tier)).toBeGreaterThanOrEqual(0);
        expect(tierDrop(entry.tier, target!.tier)).toBeLessThanOrEqual(2);
      }
    }
  });
});
