import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { QueryValidationError, repeatedParam, toQueryString } from './query.js';
import { UsageDashboardQuerySchema, usageDashboardQuery } from './usage.js';

describe('query strings from protocol schemas', () => {
  it('reads a repeated parameter given once (a string) or repeated (an array) as an array', () => {
    const schema = z.object({ tag: repeatedParam(z.string().min(1)).optional() });
    expect(schema.parse({ tag: 'a' })).toEqual({ tag: ['a'] });
    expect(schema.parse({ tag: ['a', 'b'] })).toEqual({ tag: ['a', 'b'] });
    expect(schema.parse({})).toEqual({});
    expect(schema.safeParse({ tag: ['a', ''] }).success).toBe(false);
  });

  it('round-trips the dashboard filters: the string the client builds parses back to the same filters', () => {
    const filters = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', models: ['a', 'b&c'], projects: ['p'] };
    const text = toQueryString(UsageDashboardQuerySchema, usageDashboardQuery(filters));
    expect(text).toBe('?from=2026-01-01T00%3A00%3A00Z&to=2026-02-01T00%3A00%3A00Z&model=a&model=b%26c&project=p');
    // What a query-string parser gives the server: repeated keys as arrays, single ones as strings.
    const params = new URLSearchParams(text);
    const wire = Object.fromEntries([...new Set(params.keys())].map((k) => [k, params.getAll(k).length > 1 ? params.getAll(k) : params.get(k)!]));
    expect(UsageDashboardQuerySchema.parse(wire)).toEqual(filters);
    expect(toQueryString(UsageDashboardQuerySchema, usageDashboardQuery({}))).toBe('');
  });

  it('refuses what the server would refuse, naming the field', () => {
    const build = () => toQueryString(UsageDashboardQuerySchema, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(build).toThrow(QueryValidationError);
    expect(build).toThrow('Invalid request: from: from must be before to');
    expect(UsageDashboardQuerySchema.safeParse({ model: Array.from({ length: 101 }, (_, i) => `m${i}`) }).success).toBe(false);
  });
});
