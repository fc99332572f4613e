/**
 * PostgreSQL's percentile_cont over values given as (value, count) pairs in ascending order of
 * value: the position p * (n - 1) of the sorted values, linear between the values at its floor
 * and ceiling, in the same float64 steps (lo + frac * (hi - lo)), so the result is bit for bit
 * what percentile_cont gives over the expanded values. `total` is the sum of the counts (> 0).
 */
export function percentileCont(sizes: readonly { value: number; count: number }[], total: number, p: number): number {
  const position = p * (total - 1);
  const floor = Math.floor(position);
  const ceil = Math.ceil(position);
  const lo = valueAtRank(sizes, floor);
  const hi = valueAtRank(sizes, ceil);
  return lo + (position - floor) * (hi - lo);
}

/** The value at 0-based rank `rank` of the expanded, sorted values. */
function valueAtRank(sizes: readonly { value: number; count: number }[], rank: number): number {
  let seen = 0;
  for (const size of sizes) {
    seen += size.count;
    if (seen > rank) return size.value;
  }
  throw new RangeError(`rank ${rank} is beyond ${seen} values`);
}
