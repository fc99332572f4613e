import { describe, expect, it } from 'vitest';
import { formatUsd, formatUsdShort } from './money.js';

describe('formatUsd', () => {
  it('writes dollars and cents with thousands separators', () => {
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(7.2)).toBe('$7.20');
    expect(formatUsd(0.42)).toBe('$0.42');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-12.345)).toBe('-$12.35');
  });

  it('keeps two significant digits below a cent, so a small cost never reads $0.00', () => {
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(0.000123)).toBe('$0.00012');
  });

  it('shortens large amounts on axes only', () => {
    expect(formatUsdShort(1234.5)).toBe('$1.2K');
    expect(formatUsdShort(950)).toBe('$950.00');
    expect(formatUsd(Number.NaN)).toBe('—');
  });
});
