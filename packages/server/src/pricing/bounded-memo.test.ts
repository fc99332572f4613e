import { describe, expect, it } from 'vitest';
import { createBoundedMemo } from './bounded-memo.js';

describe('createBoundedMemo', () => {
  it('computes a key once while it is held, null results included', () => {
    const calls: string[] = [];
    const memo = createBoundedMemo<number | null>(10);
    const lengthOf = (key: string) => memo.get(key, () => (calls.push(key), key === 'unknown' ? null : key.length));
    expect([lengthOf('abc'), lengthOf('abc'), lengthOf('unknown'), lengthOf('unknown')]).toEqual([3, 3, null, null]);
    expect(calls).toEqual(['abc', 'unknown']);
  });

  it('never holds more than maxKeys results', () => {
    const calls: string[] = [];
    const memo = createBoundedMemo<number>(2);
    for (const key of ['a', 'b', 'c', 'a', 'c']) memo.get(key, () => calls.push(key));
    // 'c' found the memo full and emptied it, so 'a' is computed again; 'c' is still held.
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => createBoundedMemo(0)).toThrow(RangeError);
    expect(() => createBoundedMemo(1.5)).toThrow(RangeError);
  });
});
