import { describe, expect, it } from 'vitest';
import { askedSpan, parseTimeRange } from './time-range.js';

const now = new Date('2025-03-15T13:45:00Z');

describe('parseTimeRange', () => {
  it.each([
    ['What did we spend in the last 7 days?', { from: '2025-03-09T00:00:00.000Z' }, 'the last 7 days'],
    ['costs over the past 2 weeks', { from: '2025-03-02T00:00:00.000Z' }, 'the last 14 days'],
    ['errors in the last week', { from: '2025-03-09T00:00:00.000Z' }, 'the last 7 days'],
    ['last month', { from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' }, 'February 2025'],
    ['the past month', { from: '2025-02-14T00:00:00.000Z' }, 'the last 30 days'],
    ['this month so far', { from: '2025-03-01T00:00:00.000Z' }, 'March 2025 so far'],
    ['this week', { from: '2025-03-10T00:00:00.000Z' }, 'this week (since 2025-03-10)'],
    ['what happened yesterday', { from: '2025-03-14T00:00:00.000Z', to: '2025-03-15T00:00:00.000Z' }, 'yesterday (2025-03-14)'],
    ['spend today', { from: '2025-03-15T00:00:00.000Z' }, 'today (2025-03-15)'],
    ['since 2025-01-10', { from: '2025-01-10T00:00:00.000Z' }, 'since 2025-01-10'],
    ['from 2025-01-01 to 2025-01-31', { from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' }, '2025-01-01 to 2025-01-31'],
    ['in January 2025', { from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' }, 'January 2025'],
  ])('%s', (text, range, label) => {
    expect(parseTimeRange(text, now)).toEqual({ range, label });
  });

  it('finds nothing when no range is named', () => {
    expect(parseTimeRange('Where is my AI money going?', now)).toBeNull();
    expect(parseTimeRange('from 2025-02-01 to 2025-01-01', now)).toBeNull();
  });
});

describe('askedSpan', () => {
  it('projects a named range from its start until now, or its end if earlier', () => {
    expect(askedSpan({ from: '2025-03-09T00:00:00.000Z' }, now)).toEqual({ fromMs: Date.parse('2025-03-09T00:00:00Z'), toMs: now.getTime() });
    expect(askedSpan({ from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' }, now)).toEqual({
      fromMs: Date.parse('2025-02-01T00:00:00Z'),
      toMs: Date.parse('2025-03-01T00:00:00Z'),
    });
    expect(askedSpan(undefined, now)).toBeUndefined();
    expect(askedSpan({ to: '2025-03-01T00:00:00.000Z' }, now)).toBeUndefined();
  });
});
