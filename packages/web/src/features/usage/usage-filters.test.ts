import { describe, expect, it } from 'vitest';
import { NO_FILTERS, addDays, dashboardQuery, parseUsageFilters, writeUsageFilters } from './usage-filters.js';

describe('usage filters', () => {
  it('round-trips through the hash query, model names with commas and spaces included', () => {
    const filters = { range: 'custom' as const, from: '2026-10-01', to: '2026-10-31', models: ['gpt-4o', 'acme, large'], projects: ['support'] };
    expect(parseUsageFilters(writeUsageFilters(filters))).toEqual(filters);
  });

  it('writes nothing for no filter, and reads an empty or foreign query as no filter', () => {
    expect(writeUsageFilters(NO_FILTERS)).toBe('');
    expect(parseUsageFilters('')).toEqual(NO_FILTERS);
    expect(parseUsageFilters('range=year&from=yesterday&to=2026-02-31x')).toEqual(NO_FILTERS);
  });

  it('drops from/to unless the range is custom', () => {
    expect(writeUsageFilters({ ...NO_FILTERS, range: '7d', from: '2026-01-01', to: '2026-01-02' })).toBe('range=7d');
  });

  it('counts the last 7 and 30 days back from the last day of the data, inclusive', () => {
    const to = '2026-10-31T13:58:51.783Z';
    expect(dashboardQuery({ ...NO_FILTERS, range: '7d' }, to)).toEqual({ from: '2026-10-25T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' });
    expect(dashboardQuery({ ...NO_FILTERS, range: '30d' }, to).from).toBe('2026-10-02T00:00:00.000Z');
  });

  it('asks for everything while the span of the data is unknown, keeping model and project filters', () => {
    expect(dashboardQuery({ ...NO_FILTERS, range: '7d', models: ['a'], projects: ['p'] }, null)).toEqual({ models: ['a'], projects: ['p'] });
  });

  it('takes a custom range by whole UTC days (to exclusive, the next midnight), either end open', () => {
    expect(dashboardQuery({ ...NO_FILTERS, range: 'custom', from: '2026-03-01', to: null }, null)).toEqual({ from: '2026-03-01T00:00:00.000Z' });
    expect(dashboardQuery({ ...NO_FILTERS, range: 'custom', from: null, to: '2026-03-02' }, null)).toEqual({ to: '2026-03-03T00:00:00.000Z' });
  });

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
