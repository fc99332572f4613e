import type { TimeRange } from '../usage/usage-store.js';

/** A time range named in a message, resolved against a clock. `to` is exclusive. */
export interface NamedRange {
  range: TimeRange;
  /** How the answer names it, e.g. `the last 7 days`. */
  label: string;
}

const DAY_MS = 86_400_000;
const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365 };
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/**
 * Finds the first time range a message names: `last 7 days`, `past 2 weeks`, `last week`, `last
 * month` (the calendar month), `this month`, `today`, `yesterday`, `since 2025-03-01`,
 * `from 2025-03-01 to 2025-03-31` (both days included), `in March 2025`. Days are UTC, like the
 * usage aggregates; a relative range ends now.
 */
export function parseTimeRange(text: string, now: Date): NamedRange | null {
  const t = text.toLowerCase();
  const today = startOfUtcDay(now);
  const iso = (ms: number) => new Date(ms).toISOString();
  const day = (ms: number) => iso(ms).slice(0, 10);

  const between = /\b(?:from|between)\s+(\d{4}-\d{2}-\d{2})\s+(?:to|and|until|through|-)\s+(\d{4}-\d{2}-\d{2})\b/.exec(t);
  if (between) {
    const from = Date.parse(`${between[1]}T00:00:00Z`);
    const to = Date.parse(`${between[2]}T00:00:00Z`);
    if (!Number.isNaN(from) && !Number.isNaN(to) && to >= from) {
      return { range: { from: iso(from), to: iso(to + DAY_MS) }, label: `${between[1]} to ${between[2]}` };
    }
  }
  const since = /\b(?:since|after)\s+(\d{4}-\d{2}-\d{2})\b/.exec(t);
  if (since) {
    const from = Date.parse(`${since[1]}T00:00:00Z`);
    if (!Number.isNaN(from)) return { range: { from: iso(from) }, label: `since ${since[1]}` };
  }
  const lastN = /\b(?:last|past|previous)\s+(\d{1,4})\s+(day|week|month|year)s?\b/.exec(t);
  if (lastN) {
    const days = Number(lastN[1]) * UNIT_DAYS[lastN[2]!]!;
    if (days >= 1) return lastDays(days, today, iso);
  }
  if (/\b(?:last|previous)\s+month\b/.test(t)) {
    const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    return { range: { from: iso(first), to: iso(next) }, label: monthLabel(first) };
  }
  const lastUnit = /\b(?:last|past|previous)\s+(day|week|month|year)\b/.exec(t);
  if (lastUnit) return lastDays(UNIT_DAYS[lastUnit[1]!]!, today, iso);
  if (/\bthis\s+month\b/.test(t)) {
    const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    return { range: { from: iso(first) }, label: `${monthLabel(first)} so far` };
  }
  if (/\bthis\s+week\b/.test(t)) {
    const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS;
    return { range: { from: iso(monday) }, label: `this week (since ${day(monday)})` };
  }
  if (/\byesterday\b/.test(t)) return { range: { from: iso(today - DAY_MS), to: iso(today) }, label: `yesterday (${day(today - DAY_MS)})` };
  if (/\btoday\b/.test(t)) return { range: { from: iso(today) }, label: `today (${day(today)})` };
  const inMonth = new RegExp(`\\bin\\s+(${MONTHS.join('|')})\\s+(\\d{4})\\b`).exec(t);
  if (inMonth) {
    const first = Date.UTC(Number(inMonth[2]), MONTHS.indexOf(inMonth[1]!), 1);
    const next = Date.UTC(Number(inMonth[2]), MONTHS.indexOf(inMonth[1]!) + 1, 1);
    return { range: { from: iso(first), to: iso(next) }, label: monthLabel(first) };
  }
  return null;
}

/** The last `days` UTC calendar days, today included. */
export function lastDays(days: number, todayStart: number, iso: (ms: number) => string = (ms) => new Date(ms).toISOString()): NamedRange {
  return { range: { from: iso(todayStart - (days - 1) * DAY_MS) }, label: `the last ${days} day${days === 1 ? '' : 's'}` };
}

export function startOfUtcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function monthLabel(ms: number): string {
  const d = new Date(ms);
  const name = MONTHS[d.getUTCMonth()]!;
  return `${name.charAt(0).toUpperCase()}${name.slice(1)} ${d.getUTCFullYear()}`;
}

/** The span a question named ("the last 7 days": from then until now), over which its monthly figures are projected. */
export function askedSpan(range: TimeRange | undefined, now: Date): { fromMs: number; toMs: number } | undefined {
  const from = range?.from ? Date.parse(range.from) : NaN;
  if (Number.isNaN(from)) return undefined;
  const to = range?.to ? Math.min(Date.parse(range.to), now.getTime()) : now.getTime();
  return to > from ? { fromMs: from, toMs: to } : undefined;
}
