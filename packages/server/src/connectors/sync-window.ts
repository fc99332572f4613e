import type { FetchWindow } from './provider-client.js';

const DAY_MS = 86_400_000;

export function startOfUtcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/**
 * The days a sync fetches (pure). First sync: `backfillDays` whole days back from today, today
 * included. Later: from the last complete day before `syncedThrough` (one day of overlap: a
 * provider may still revise yesterday) through today, whose partial figures are replaced by the
 * next sync's. The window always ends at tomorrow 00:00Z so today's bucket is in it (Anthropic
 * returns only buckets that END before `ending_at`). `syncedThrough` after it: today 00:00Z, the
 * end of the last complete day fetched.
 */
export function syncWindow(now: Date, syncedThrough: Date | null, backfillDays: number): { window: FetchWindow; syncedThrough: Date } {
  const today = startOfUtcDay(now);
  const from = syncedThrough === null ? new Date(today.getTime() - backfillDays * DAY_MS) : new Date(Math.min(startOfUtcDay(syncedThrough).getTime(), today.getTime()) - DAY_MS);
  return { window: { from, to: new Date(today.getTime() + DAY_MS) }, syncedThrough: today };
}

/**
 * The window cut into consecutive whole-day pieces of at most `maxDays` (pure), for an API whose
 * one request may span no more than that (Anthropic's Analytics API: 31 days).
 */
export function splitWindow(window: FetchWindow, maxDays: number): FetchWindow[] {
  const pieces: FetchWindow[] = [];
  for (let from = window.from.getTime(); from < window.to.getTime(); from += maxDays * DAY_MS) {
    pieces.push({ from: new Date(from), to: new Date(Math.min(from + maxDays * DAY_MS, window.to.getTime())) });
  }
  return pieces;
}
