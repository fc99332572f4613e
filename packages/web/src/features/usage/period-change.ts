export interface PeriodChange {
  /** "+12%", "−3%", "no change", "new" (nothing before). */
  text: string;
  /** Whether the change is good news, bad news or neither, for the figure's reader. */
  tone: 'better' | 'worse' | 'same';
}

/**
 * This period's figure against the previous period's, as a reader scans it: a relative change,
 * rounded to whole percent (one decimal under 10 %), with a tone that says which way is better
 * (`lowerIsBetter` for spend, errors; not for requests or cache hits). Pure.
 */
export function periodChange(now: number, before: number, lowerIsBetter: boolean): PeriodChange {
  if (now === before) return { text: 'no change', tone: 'same' };
  if (before === 0) return { text: 'new', tone: 'same' };
  const relative = (now - before) / Math.abs(before);
  const percent = Math.abs(relative) * 100;
  const shown = percent < 10 ? percent.toFixed(1) : percent.toFixed(0);
  if (Number(shown) === 0) return { text: 'no change', tone: 'same' };
  const up = relative > 0;
  return { text: `${up ? '+' : '−'}${shown}%`, tone: up === lowerIsBetter ? 'worse' : 'better' };
}
