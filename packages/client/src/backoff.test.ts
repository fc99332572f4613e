import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially and stays within [base/2, base]', () => {
    const low = [0, 1, 2, 3].map((n) => backoffDelay(n, () => 0));
    const high = [0, 1, 2, 3].map((n) => backoffDelay(n, () => 0.999999));
    expect(low).toEqual([125, 250, 500, 1000]);
    expect(high).toEqual([250, 500, 1000, 2000]);
  });

  it('is capped by maxMs', () => {
    expect(backoffDelay(50, () => 1, { maxMs: 10_000 })).toBe(10_000);
    expect(backoffDelay(50, () => 0, { maxMs: 10_000 })).toBe(5_000);
  });

  it('spreads clients dropped together', () => {
    const seeds = [0.1, 0.4, 0.7, 0.9];
    const delays = new Set(seeds.map((s) => backoffDelay(4, () => s)));
    expect(delays.size).toBe(seeds.length);
  });

  it('honours custom options and treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, () => 0, { initialMs: 100 })).toBe(50);
    expect(backoffDelay(2, () => 0, { initialMs: 100, factor: 3 })).toBe(450);
  });
});
