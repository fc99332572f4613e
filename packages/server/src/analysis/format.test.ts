import { describe, expect, it } from 'vitest';
import { formatInt, formatPct, formatPerMTok, formatUsd } from './format.js';

describe('format', () => {
  it('writes dollars with cents and thousands separators', () => {
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-3)).toBe('-$3.00');
  });
  it('keeps sub-cent amounts visible', () => {
    expect(formatUsd(0.0042)).toBe('$0.0042');
  });
  it('writes integers, percentages and per-million prices', () => {
    expect(formatInt(1234567.4)).toBe('1,234,567');
    expect(formatPct(0.1234)).toBe('12.3%');
    expect(formatPerMTok(2.5)).toBe('$2.5/MTok');
  });
});
