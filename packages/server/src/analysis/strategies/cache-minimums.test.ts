import { describe, expect, it } from 'vitest';
import { cacheableTokens, cachingRuleOf } from './cache-minimums.js';

describe('cachingRuleOf', () => {
  it('has the providers\' published minimums per model', () => {
    // Anthropic: 4,096 for Haiku 4.5 and Opus 4.5/4.6, 2,048 for Haiku 3/3.5, 1,024 for the others.
    expect(cachingRuleOf('claude-haiku-4-5-20251001')).toMatchObject({ minTokens: 4096, known: true });
    expect(cachingRuleOf('claude-opus-4-5')).toMatchObject({ minTokens: 4096, known: true });
    expect(cachingRuleOf('claude-opus-4-6')).toMatchObject({ minTokens: 4096, known: true });
    expect(cachingRuleOf('claude-3-5-haiku-20241022')).toMatchObject({ minTokens: 2048, known: true });
    expect(cachingRuleOf('claude-3-haiku-20240307')).toMatchObject({ minTokens: 2048, known: true });
    expect(cachingRuleOf('claude-sonnet-4-5')).toMatchObject({ minTokens: 1024, known: true });
    expect(cachingRuleOf('claude-sonnet-4-20250514')).toMatchObject({ minTokens: 1024, known: true });
    expect(cachingRuleOf('claude-opus-4-1')).toMatchObject({ minTokens: 1024, known: true });
    expect(cachingRuleOf('anthropic.claude-3-7-sonnet-20250219-v1:0')).toMatchObject({ minTokens: 1024, known: true });
    // OpenAI: 1,024 then 128-token steps.
    expect(cachingRuleOf('gpt-4o-mini')).toMatchObject({ minTokens: 1024, stepTokens: 128, known: true });
    expect(cachingRuleOf('openai/gpt-4.1')).toMatchObject({ minTokens: 1024, stepTokens: 128 });
    // Gemini implicit caching: best effort.
    expect(cachingRuleOf('gemini-2.5-flash')).toMatchObject({ minTokens: 2048, guaranteed: false, known: true });
    expect(cachingRuleOf('gemini-2.5-pro')).toMatchObject({ minTokens: 2048, guaranteed: false });
    expect(cachingRuleOf('gemini-3-pro-preview')).toMatchObject({ minTokens: 4096, guaranteed: false });
    // Unknown: the common minimum, marked as assumed.
    expect(cachingRuleOf('claude-opus-4-7')).toMatchObject({ minTokens: 1024, known: false });
    expect(cachingRuleOf('acme-llm')).toMatchObject({ minTokens: 1024, known: false });
  });

  it('caches nothing below the minimum and whole steps past it', () => {
    const openai = cachingRuleOf('gpt-4o');
    expect(cacheableTokens(1023, openai)).toBe(0);
    expect(cacheableTokens(1024, openai)).toBe(1024);
    expect(cacheableTokens(1151, openai)).toBe(1024);
    expect(cacheableTokens(1152, openai)).toBe(1152);
    expect(cacheableTokens(4095, cachingRuleOf('claude-haiku-4-5'))).toBe(0);
    expect(cacheableTokens(4097, cachingRuleOf('claude-haiku-4-5'))).toBe(4097);
  });
});
