/**
 * A cache of results by string key holding at most `maxKeys` of them. Keys come from user data
 * (any model name a file carries), so it is bounded: when full it is emptied, which costs one
 * recomputation per live key and keeps the common case (a few dozen models) at a hit.
 */
export interface BoundedMemo<T> {
  /** The result held for `key`, or `compute()`'s, then held (null and undefined results too). */
  get(key: string, compute: () => T): T;
}

export function createBoundedMemo<T>(maxKeys: number): BoundedMemo<T> {
  if (!(Number.isInteger(maxKeys) && maxKeys > 0)) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  const results = new Map<string, T>();
  return {
    get(key, compute) {
      if (results.has(key)) return results.get(key) as T;
      const value = compute();
      if (results.size >= maxKeys) results.clear();
      results.set(key, value);
      return value;
    },
  };
}
