import { describe, expect, it } from 'vitest';
import { MONTH_HOURS, perMonth, projectionOf } from './projection.js';

const at = (iso: string) => Date.parse(iso);

describe('projectionOf', () => {
  it('scales a rolling 7 x 24 h export by 30/7, not 30/8 (the calendar days it touches)', () => {
    const p = projectionOf(at('2026-11-01T10:00:00Z'), at('2026-11-08T10:00:00Z'));
    expect(p.hours).toBe(168);
    expect(p.monthlyFactor).toBeCloseTo(30 / 7, 12);
    expect(p.rough).toBe(false);
    // $700 in the week is $3,000 a month; by calendar days it was $2,625 (12.5 % low).
    expect(perMonth(700, p)).toBeCloseTo(3000, 9);
  });

  it('calls 24 over 3 hours a rough projection from 3 hours, not a day', () => {
    const p = projectionOf(at('2026-11-01T09:00:00Z'), at('2026-11-01T12:00:00Z'));
    expect(p).toMatchObject({ hours: 3, rough: true });
    expect(p.monthlyFactor).toBe(MONTH_HOURS / 3);
  });

  it('keeps a single instant finite, and rough', () => {
    const p = projectionOf(at('2026-11-01T09:00:00Z'), at('2026-11-01T09:00:00Z'));
    expect(p).toMatchObject({ hours: 1, monthlyFactor: MONTH_HOURS, rough: true });
  });

  it('projects 30 x 24 h of data at exactly 1', () => {
    expect(projectionOf(at('2026-11-01T00:00:00Z'), at('2026-12-01T00:00:00Z')).monthlyFactor).toBe(1);
  });
});
