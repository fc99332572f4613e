import type { TimeRange } from './usage-store.js';

export const DAY_MS = 86_400_000;

/**
 * A range whose bounds fall on UTC midnights, as whole days (epoch ms): what the rollups can answer
 * exactly, since they hold whole days (and 5-minute buckets, which never straddle a midnight).
 * Null when a bound is elsewhere: the caller reads the records themselves.
 */
export interface DayRange {
  fromMs?: number;
  toMs?: number;
}

export function dayRange(range: TimeRange | undefined): DayRange | null {
  const bound = (iso: string | undefined): number | undefined | null => {
    if (iso === undefined) return undefined;
    const ms = Date.parse(iso);
    // Date keeps milliseconds: a bound with a non-zero fraction below them is not a midnight.
    if (Number.isNaN(ms) || ms % DAY_MS !== 0 || /\.\d{3}\d*[1-9]/.test(iso)) return null;
    return ms;
  };
  const fromMs = bound(range?.from);
  const toMs = bound(range?.to);
  if (fromMs === null || toMs === null) return null;
  return { ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }) };
}
