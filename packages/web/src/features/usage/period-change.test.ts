import { describe, expect, it } from 'vitest';
import { periodChange } from './period-change.js';

describe('periodChange', () => {
  it('says how much and whether it is good news, for figures where lower or higher is better', () => {
    expect(periodChange(120, 100, true)).toEqual({ text: '+20%', tone: 'worse' });
    expect(periodChange(120, 100, false)).toEqual({ text: '+20%', tone: 'better' });
    expect(periodChange(95.5, 100, true)).toEqual({ text: '−4.5%', tone: 'better' });
    expect(periodChange(0.2, 0.25, false)).toEqual({ text: '−20%', tone: 'worse' });
  });

  it('has words for no change, a change too small to show, and nothing before', () => {
    expect(periodChange(5, 5, true)).toEqual({ text: 'no change', tone: 'same' });
    expect(periodChange(100.0001, 100, true)).toEqual({ text: 'no change', tone: 'same' });
    expect(periodChange(3, 0, true)).toEqual({ text: 'new', tone: 'same' });
  });
});
