import { describe, expect, it } from 'vitest';
import { tallyFormat } from './tally-format.js';
import type { FormatSample } from './usage-format.js';

const sample = (...values: unknown[]): FormatSample => ({ framing: 'json', lines: [], values, head: '' });

describe('tallyFormat', () => {
  it("checks a line against Tally's schema, defaults applied, errors with the field path", () => {
    const mapper = tallyFormat.createMapper({});
    expect(mapper.map({ ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', inputTokens: 1, outputTokens: 2 }, 1)).toEqual([
      { lineNumber: 1, record: expect.objectContaining({ project: 'default', status: 'ok', cacheReadTokens: 0 }) },
    ]);
    expect(mapper.map({ ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', input_tokens: 1, outputTokens: 2 }, 2)).toEqual([{ lineNumber: 2, error: expect.stringMatching(/inputTokens/) }]);
    expect(mapper.flush()).toEqual([]);
  });

  it('recognises its camelCase token buckets', () => {
    expect(tallyFormat.detect(sample({ ts: 't', model: 'm', inputTokens: 1, outputTokens: 1 }))).toBe(0.9);
    expect(tallyFormat.detect(sample({ inputTokens: 1 }))).toBe(0.6);
    expect(tallyFormat.detect(sample({ usage: { input_tokens: 1 } }))).toBe(0);
  });
});
