import { describe, expect, it } from 'vitest';
import { percentileCont } from './percentile-cont.js';

/** percentile_cont over the expanded values, the plain way. */
function direct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const lo = sorted[Math.floor(position)]!;
  const hi = sorted[Math.ceil(position)]!;
  return lo + (position - Math.floor(position)) * (hi - lo);
}

function counted(values: number[]): { sizes: { value: number; count: number }[]; total: number } {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sizes = [...counts].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
  return { sizes, total: values.length };
}

describe('percentileCont', () => {
  it('interpolates as percentile_cont: p99 of 10, 20, 30, 40, 1000', () => {
    const { sizes, total } = counted([10, 20, 30, 40, 1000]);
    expect(percentileCont(sizes, total, 0.5)).toBe(30);
    expect(percentileCont(sizes, total, 0.99)).toBe(40 + 0.96 * 960);
  });

  it('gives the expanded computation exactly on repeated values', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 300;
    for (let round = 0; round < 50; round++) {
      const values = Array.from({ length: 1 + (round * 37) % 400 }, next);
      const { sizes, total } = counted(values);
      for (const p of [0, 0.5, 0.9, 0.99, 1]) expect(percentileCont(sizes, total, p)).toBe(direct(values, p));
    }
  });

  it('refuses a rank beyond the values', () => {
    expect(() => percentileCont([{ value: 1, count: 1 }], 3, 1)).toThrow(RangeError);
  });
});
