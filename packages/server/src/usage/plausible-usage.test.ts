import { describe, expect, it } from 'vitest';
import { validateUsageRecord } from './validate-usage-record.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const good = { ts: '2026-12-01T10:00:00Z', model: 'gpt-4o', inputTokens: 1200, outputTokens: 80 };
const check = (over: Record<string, unknown>) => validateUsageRecord({ ...good, ...over }, NOW);

describe('validateUsageRecord refuses values no real call has', () => {
  it('accepts ordinary and large-but-real calls', () => {
    expect(check({})).toHaveProperty('record');
    // A full 2M-token Gemini context with cache reads, and a 10M-token context.
    expect(check({ inputTokens: 1_000_000, cacheReadTokens: 1_000_000, outputTokens: 65_536 })).toHaveProperty('record');
    expect(check({ inputTokens: 10_000_000 })).toHaveProperty('record');
  });

  it('refuses absurd token counts on one call, in any bucket, with the figure and the limit', () => {
    // 3e9 is past the protocol's integer range already: refused by the schema, on its line too.
    expect(check({ inputTokens: 3_000_000_000 })).toEqual({ error: expect.stringContaining('inputTokens') });
    // 300M fits the wire's integers but no model reads or writes it in one call.
    expect(check({ inputTokens: 300_000_000 })).toEqual({ error: expect.stringMatching(/^input tokens: 300000000 on one call .* limit is 20000000$/) });
    expect(check({ cacheWrite1hTokens: 300_000_000 })).toEqual({ error: expect.stringContaining('input tokens: 300001200') });
    expect(check({ outputTokens: 300_000_000 })).toEqual({ error: expect.stringContaining('outputTokens: 300000000 on one call') });
  });

  it('refuses times before 2015 and more than a day ahead of the server clock', () => {
    expect(check({ ts: '1970-01-21T12:00:00Z' })).toEqual({ error: expect.stringContaining('is before 2015') });
    expect(check({ ts: '2014-12-31T23:59:59Z' })).toHaveProperty('error');
    expect(check({ ts: '2015-01-01T00:00:00Z' })).toHaveProperty('record');
    expect(check({ ts: '2026-12-06T11:59:00Z' })).toHaveProperty('record');
    expect(check({ ts: '2026-12-06T12:00:01Z' })).toEqual({ error: expect.stringContaining('more than a day in the future') });
  });
});
