/**
 * Money and ratios are sums of floats; rounding to a millionth removes the noise
 * (0.30000000000000004) without changing any figure a person reads, so tests can state exact dollars.
 */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A ratio (share, rate) rounded to 6 decimals, 0 when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  return Math.round((numerator / denominator) * 1e6) / 1e6;
}
