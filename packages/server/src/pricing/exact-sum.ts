/**
 * A sum of doubles that is exact until its one final rounding (Shewchuk's algorithm, as Python's
 * `math.fsum`): the result does not depend on the order the values were added in. A preview of a
 * re-pricing and the re-pricing itself read the same costs in different orders (and ClickHouse
 * in no fixed order at all); with this sum their totals are equal to the last bit, not nearly.
 */
export interface ExactSum {
  add(value: number): void;
  value(): number;
}

export function createExactSum(): ExactSum {
  // Non-overlapping partial sums, smallest magnitude first; their exact total is the sum so far.
  const partials: number[] = [];
  return {
    add(value) {
      if (!Number.isFinite(value)) throw new RangeError(`cannot sum ${value}`);
      let x = value;
      let i = 0;
      for (let y of partials) {
        if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
        const hi = x + y;
        const lo = y - (hi - x);
        if (lo !== 0) partials[i++] = lo;
        x = hi;
      }
      partials.length = i;
      partials.push(x);
    },
    value() {
      // Python's fsum final step: add from the largest partial down, then correct the half-way case.
      let n = partials.length;
      if (n === 0) return 0;
      let hi = partials[--n]!;
      let lo = 0;
      while (n > 0) {
        const x = hi;
        const y = partials[--n]!;
        hi = x + y;
        lo = y - (hi - x);
        if (lo !== 0) break;
      }
      if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
        const y = lo * 2;
        const x = hi + y;
        if (y === x - hi) hi = x;
      }
      return hi;
    },
  };
}
