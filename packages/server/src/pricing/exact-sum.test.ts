import { describe, expect, it } from 'vitest';
import { createExactSum } from './exact-sum.js';

const sum = (values: number[]) => {
  const s = createExactSum();
  for (const v of values) s.add(v);
  return s.value();
};

describe('exact sum', () => {
  it('rounds only once, whatever the order', () => {
    expect(sum(Array(10).fill(0.1))).toBe(1);
    expect(sum([1e100, 1, -1e100])).toBe(1);
    expect(sum([1, 1e100, 1, -1e100])).toBe(2);
    expect(sum([])).toBe(0);
  });

  it('gives the same total for every permutation of many costs', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const costs = Array.from({ length: 5000 }, () => random() * 10 ** Math.floor(random() * 8 - 6));
    const forward = sum(costs);
    const backward = sum([...costs].reverse());
    const shuffled = sum([...costs].sort(() => random() - 0.5));
    expect(backward).toBe(forward);
    expect(shuffled).toBe(forward);
    // And it is the correctly rounded total: the naive sum is off in the last bits only.
    expect(Math.abs(forward - costs.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
  });
});
