/**
 * How period figures become monthly ones: the one place that scales to a month.
 *
 * A month is 30 x 24 hours, and the period is the time the data really covers: the hours between
 * its first and last call (or the span the user asked about), not the calendar days it touches.
 * Counting days made a rolling 7 x 24 h export 8 days long (monthly spend 12.5 % low) and three
 * hours of calls one whole day. Under a week of data the shape of a month (weekends, month-end
 * batches) is not seen: projections from it are labelled rough, and answers lead with the
 * period's own figures.
 */
export const MONTH_HOURS = 30 * 24;
/**
 * Below this much data a projection is rough: about a week. Not 168 h exactly: the first and last
 * calls of a week's export fall inside its bounds, some hours short of them.
 */
export const ROUGH_BELOW_HOURS = 6.5 * 24;
/**
 * The least span a projection divides by. Calls that all share one instant (one call, a batch
 * logged at once) cover no time at all; an hour keeps the factor finite, and such data is rough.
 */
export const MIN_PROJECTION_HOURS = 1;
const HOUR_MS = 3_600_000;

export interface Projection {
  /** Hours the figures cover (at least MIN_PROJECTION_HOURS). */
  hours: number;
  /** The same in days (hours / 24, not rounded): for confidence rules stated in days. */
  days: number;
  /** MONTH_HOURS / hours: multiply a period figure by it to get a monthly one. */
  monthlyFactor: number;
  /** Under a week of data: a monthly figure is an extrapolation, to be labelled as such. */
  rough: boolean;
}

/** The projection of figures covering `fromMs` to `toMs` (epoch ms, from at or before to). */
export function projectionOf(fromMs: number, toMs: number): Projection {
  const covered = Math.max(0, toMs - fromMs) / HOUR_MS;
  const hours = Math.max(covered, MIN_PROJECTION_HOURS);
  return { hours, days: hours / 24, monthlyFactor: MONTH_HOURS / hours, rough: covered < ROUGH_BELOW_HOURS };
}

/** A period figure as a monthly one. */
export function perMonth(periodValue: number, projection: Pick<Projection, 'monthlyFactor'>): number {
  return periodValue * projection.monthlyFactor;
}
