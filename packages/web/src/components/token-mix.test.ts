import { describe, expect, it } from 'vitest';
import { allTokens, inputSideTokens, tokenMixDetail } from './token-mix.js';

describe('token mix', () => {
  const mix = { inputTokens: 1200, outputTokens: 900, cacheReadTokens: 300, cacheWriteTokens: 50, cacheWrite1hTokens: 20 };

  it('names each priced bucket apart, cache reads and both cache writes included', () => {
    expect(tokenMixDetail(mix, String)).toBe('1200 uncached input · 300 cache read · 50 cache write 5m · 20 cache write 1h · 900 output');
    expect(allTokens(mix)).toBe(2470);
    expect(inputSideTokens(mix)).toBe(1570);
  });

  it('shows reasoning inside output, not as more tokens', () => {
    expect(tokenMixDetail({ ...mix, reasoningTokens: 400 }, String)).toBe('1200 uncached input · 300 cache read · 50 cache write 5m · 20 cache write 1h · 900 output (400 reasoning)');
    expect(allTokens({ ...mix, reasoningTokens: 400 })).toBe(2470);
  });

  it('leaves out empty cache buckets and reads a report without 1-hour writes', () => {
    const old = { inputTokens: 10, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(tokenMixDetail(old, String)).toBe('10 uncached input · 0 output');
    expect(allTokens(old)).toBe(10);
  });
});
