import { describe, expect, it } from 'vitest';
import { unverifiedNumbers } from './number-check.js';

describe('unverifiedNumbers', () => {
  const facts = 'Spend **$1,234.50** over 12,000 requests; saves about $60.00/month (50.0%). From 2025-03-01.';

  it('accepts figures copied from the facts in any formatting', () => {
    expect(unverifiedNumbers('You spent $1234.5 on 12,000 requests and can save $60 (50%), since 2025-03-01.', facts)).toEqual([]);
  });

  it('flags figures that are not in the facts', () => {
    expect(unverifiedNumbers('You could save $75.25, about 6% of 12,000.', facts)).toEqual(['75.25']);
  });

  it('allows small counts and numbers from the question', () => {
    expect(unverifiedNumbers('Here are 3 steps for the last 14 days.', facts, 'last 14 days?')).toEqual([]);
  });
});
