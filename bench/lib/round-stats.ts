/**
 * The statistics rules every scenario follows (one implementation): a median is only named over
 * at least three rounds (with two it is just the better or the worse one), its spread is reported
 * beside it, a maximum is called a maximum, and which side goes first alternates round by round.
 */

/** Fewest rounds a median is named over. */
export const MIN_ROUNDS_FOR_MEDIAN = 3;

export interface RoundSpread {
  /** Rounds measured. */
  rounds: number;
  median: number;
  min: number;
  max: number;
}

/** Median and spread of per-round values; throws with fewer than three, so no scenario can name a two-round "median". */
export function spreadOf(values: readonly number[]): RoundSpread {
  if (values.length < MIN_ROUNDS_FOR_MEDIAN) throw new Error(`a median needs at least ${MIN_ROUNDS_FOR_MEDIAN} rounds, got ${values.length}`);
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { rounds: sorted.length, median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** `median 12.3 (rounds 11.0–14.1, n=3)`, for notes. */
export function spreadText(spread: RoundSpread, digits = 2, unit = ''): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `median ${f(spread.median)} (rounds ${f(spread.min)}–${f(spread.max)}, n=${spread.rounds})`;
}

/** Round `round` (from 1) runs the two sides in this order: odd rounds `a` first, even rounds `b` first. */
export function alternate<A, B>(round: number, a: A, b: B): [A, B] | [B, A] {
  return round % 2 === 1 ? [a, b] : [b, a];
}

/** Rounds for a profile, never fewer than a median needs. */
export function roundsOf(profile: 'quick' | 'full', quick: number, full: number): number {
  return Math.max(MIN_ROUNDS_FOR_MEDIAN, profile === 'full' ? full : quick);
}

/** Least-squares slope of y over x (e.g. RSS over minutes); 0 with fewer than two points. */
export function slopeOf(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}
