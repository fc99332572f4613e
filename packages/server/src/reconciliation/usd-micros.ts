/**
 * Money of the reconciliation in integer micro-dollars. Each figure read (a row's float cost, a
 * bucket's cost) is rounded to the micro-dollar once and then only integers are added: the sum
 * does not drift with the order or the number of rows, so a planted difference of $12.34 comes
 * out as exactly 12.34, not 12.339999999. Integers stay exact up to 2^53 micro-dollars (~$9e9).
 */
export function toMicros(usd: number): number {
  return Math.round(usd * 1e6);
}

export function usdOfMicros(micros: number): number {
  return micros / 1e6;
}

/** `part` as a percentage of `whole`, to two decimals; null when the whole is 0. */
export function percentOf(part: number, whole: number): number | null {
  if (whole === 0) return null;
  return Math.round((part / whole) * 10_000) / 100;
}
