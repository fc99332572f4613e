import { describe, expect, it } from 'vitest';
import { amountOf, countOf, idOf, isoTimeOf, nanosBetweenMs, nanosToIso, objectOrJsonString, unixSecondsToIso } from './field-readers.js';

describe('field readers', () => {
  it('reads counts from numbers and digit strings, absent from null/empty, and reports the rest', () => {
    const problems: string[] = [];
    expect([countOf(12, 'a', problems), countOf(' 12 ', 'b', problems), countOf('', 'c', problems), countOf(null, 'd', problems)]).toEqual([12, 12, undefined, undefined]);
    expect(problems).toEqual([]);
    expect([countOf(-1, 'e', problems), countOf(1.5, 'f', problems), countOf('1e3', 'g', problems), countOf(true, 'h', problems)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['e', 'f', 'g', 'h']);
    expect(amountOf('$0.25', 'cost', problems)).toBe(0.25);
  });

  it('reads times: ISO with or without a zone (UTC), a space for T, ±hh zones, epoch s/ms/µs/ns by size', () => {
    expect(isoTimeOf('2026-11-20T10:00:01Z')).toBe('2026-11-20T10:00:01.000Z');
    expect(isoTimeOf('2026-11-20 10:00:01.250')).toBe('2026-11-20T10:00:01.250Z');
    expect(isoTimeOf('2026-11-20 12:00:01+02')).toBe('2026-11-20T10:00:01.000Z');
    expect(isoTimeOf('2026-11-20T12:00:01+0200')).toBe('2026-11-20T10:00:01.000Z');
    expect(isoTimeOf('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    for (const epoch of [1795168800, '1795168800', 1795168800000, '1795168800000000', '1795168800000000000']) expect(isoTimeOf(epoch)).toBe('2026-11-20T10:00:00.000Z');
    expect(isoTimeOf('yesterday')).toBeNull();
    expect(isoTimeOf('2026-13-45T10:00:00Z')).toBeNull();
    expect(isoTimeOf('')).toBeUndefined();
    expect(unixSecondsToIso(1767000000.5)).toBe('2025-12-29T09:20:00.500Z');
  });

  it('reads OTLP nanoseconds beyond 2^53 exactly, as strings', () => {
    expect(nanosToIso('1767000000123999999')).toBe('2025-12-29T09:20:00.123Z');
    expect(nanosBetweenMs('1767000000123000000', '1767000001523000001')).toBe(1400.000001);
    expect(nanosBetweenMs('2', '1')).toBeUndefined();
    expect(nanosToIso('soon')).toBeNull();
  });

  it('reads nanoseconds as strings of any length as the BigInt division does', () => {
    const viaBigInt = (ns: string) => {
      const date = new Date(Number(BigInt(ns) / 1_000_000n));
      return Number.isNaN(date.getTime()) ? null : date.toISOString();
    };
    for (const ns of ['0', '999999', '1000000', '0001767000000123999999', '1767000000123999999', '99999999999999999999', '999999999999999999999', '8640000000000000000000', '8640000000000000000001', '86400000000000000000000']) {
      expect(nanosToIso(ns), ns).toBe(viaBigInt(ns));
    }
    expect(nanosToIso(1767000000123999999n)).toBe('2025-12-29T09:20:00.123Z');
    expect(nanosToIso('')).toBeNull();
    expect(nanosToIso('-5')).toBeNull();
  });

  it('keeps ids within the schema limit, stably', () => {
    expect(idOf('msg_1', 'req_1')).toBe('msg_1:req_1');
    const long = idOf('x'.repeat(300));
    expect(long).toMatch(/^h:[0-9a-f]{64}$/);
    expect(idOf('x'.repeat(300))).toBe(long);
  });

  it('reads metadata given as an object or as a JSON string', () => {
    expect(objectOrJsonString('{"a":1}')).toEqual({ a: 1 });
    expect(objectOrJsonString({ a: 1 })).toEqual({ a: 1 });
    expect(objectOrJsonString('{bad')).toBeUndefined();
  });
});
