import { describe, expect, it } from 'vitest';
import { clickHouseSql, epochMs, float, identifier, int, list, string, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { wellFormed } from '../well-formed-text.js';

/** Values that reach an encoder from outside the type system (parsed JSON, a bad cast). */
const untyped = <T>(value: unknown): T => value as T;

/** Hostile strings and the exact literal each must become. */
const HOSTILE_STRINGS: Array<[string, string]> = [
  ["o'brien", "'o\\'brien'"],
  [`'); DROP TABLE usage_records; --`, `'\\'); DROP TABLE usage_records; --'`],
  ['back\\slash', "'back\\\\slash'"],
  ['ends with a backslash \\', "'ends with a backslash \\\\'"],
  ["\\' escaped quote", "'\\\\\\' escaped quote'"],
  ['line\nbreak\rreturn\ttab', "'line\\x0abreak\\x0dreturn\\x09tab'"],
  ['nul\u0000byte and \u001f and \u007f', "'nul\\x00byte and \\x1f and \\x7f'"],
  ['`backtick` "double" /* comment */ -- dash', "'`backtick` \"double\" /* comment */ -- dash'"],
  ['unicode é 中文 😀', "'unicode é 中文 😀'"],
  ['\\x41 is not an escape here', "'\\\\x41 is not an escape here'"],
  ['', "''"],
];

describe('string', () => {
  it.each(HOSTILE_STRINGS)('writes %j as %s', (value, literal) => {
    expect(string(value).text).toBe(literal);
  });

  it('never lets a quote end the literal early', () => {
    for (const [value] of HOSTILE_STRINGS) {
      const body = string(value).text.slice(1, -1);
      // Every quote inside is preceded by an odd number of backslashes.
      for (const match of body.matchAll(/(\\*)'/g)) expect(match[1]!.length % 2).toBe(1);
    }
  });

  it('turns a lone surrogate into U+FFFD, as UTF-8 encoding does', () => {
    expect(string('a\ud800b').text).toBe("'a\ufffdb'");
    expect(string('\udc00').text).toBe("'\ufffd'");
    expect(string('pair 😀 kept').text).toBe("'pair 😀 kept'");
    expect(Buffer.from(wellFormed('x\ud800')).toString()).toBe(Buffer.from('x\ud800').toString());
  });

  it('refuses what is not a string', () => {
    expect(() => string(untyped(42))).toThrow(TypeError);
    expect(() => string(untyped(null))).toThrow(TypeError);
    expect(() => string(untyped({ toString: () => "'" }))).toThrow(TypeError);
  });
});

describe('uuid', () => {
  it('writes a validated, lower-cased toUUID()', () => {
    expect(uuid('0F8FAD5B-D9CB-469F-A165-70867728950E').text).toBe("toUUID('0f8fad5b-d9cb-469f-a165-70867728950e')");
  });

  it.each([
    "0f8fad5b-d9cb-469f-a165-70867728950e') OR 1=1 --",
    '0f8fad5b-d9cb-469f-a165-70867728950e\n',
    ' 0f8fad5b-d9cb-469f-a165-70867728950e',
    '0f8fad5bd9cb469fa16570867728950e',
    'zf8fad5b-d9cb-469f-a165-70867728950e',
    '',
  ])('refuses %j', (value) => {
    expect(() => uuid(value)).toThrow(/not a UUID/);
  });

  it('refuses what is not a string', () => {
    expect(() => uuid(untyped(1))).toThrow(TypeError);
  });
});

describe('int', () => {
  it('writes safe integers, parenthesising negatives so no `--` comment can form', () => {
    expect(int(0).text).toBe('0');
    expect(int(-0).text).toBe('0');
    expect(int(1788300000123).text).toBe('1788300000123');
    expect(int(-5).text).toBe('(-5)');
    expect(clickHouseSql`SELECT 1 -${int(-5)}`.text).toBe('SELECT 1 -(-5)');
    expect(int(Number.MAX_SAFE_INTEGER).text).toBe('9007199254740991');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 53, -(2 ** 53)])('refuses %s', (value) => {
    expect(() => int(value)).toThrow(TypeError);
  });

  it('refuses a numeric string', () => {
    expect(() => int(untyped('5'))).toThrow(TypeError);
    expect(() => int(untyped('1; DROP TABLE x'))).toThrow(TypeError);
  });
});

describe('float', () => {
  it('writes finite numbers as floats', () => {
    expect(float(1.5).text).toBe('1.5');
    expect(float(1).text).toBe('1.');
    expect(float(0).text).toBe('0.');
    expect(float(-0.25).text).toBe('(-0.25)');
    expect(float(1e21).text).toBe('1e+21');
    expect(float(1e-7).text).toBe('1e-7');
  });

  it('refuses NaN, infinities and the subnormals ClickHouse cannot parse', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(() => float(value)).toThrow(TypeError);
    expect(() => float(5e-324)).toThrow(RangeError);
    expect(() => float(untyped('1.5'))).toThrow(TypeError);
  });
});

describe('epochMs', () => {
  it('turns an ISO time with a zone, or a Date, into epoch milliseconds', () => {
    expect(epochMs('2026-09-01T10:00:00Z').text).toBe(String(Date.UTC(2026, 8, 1, 10)));
    expect(epochMs('2026-09-01T23:30:00.250-02:00').text).toBe(String(Date.UTC(2026, 8, 2, 1, 30, 0, 250)));
    expect(epochMs(new Date(Date.UTC(2026, 8, 1))).text).toBe(String(Date.UTC(2026, 8, 1)));
    expect(epochMs('1960-01-01T00:00:00Z').text).toBe(`(${Date.UTC(1960, 0, 1)})`);
  });

  it.each([
    '2026-09-01T10:00:00',
    '2026-09-01',
    "2026-09-01T10:00:00Z' OR 1=1 --",
    '2026-09-01T10:00:00Z; DROP TABLE x',
    'yesterday',
    '2026-13-45T99:99:99Z',
  ])('refuses %j', (value) => {
    expect(() => epochMs(value)).toThrow(TypeError);
  });

  it('refuses an invalid Date', () => {
    expect(() => epochMs(new Date('nope'))).toThrow(TypeError);
  });
});

describe('identifier', () => {
  it('back-quotes plain names', () => {
    expect(identifier('tally').text).toBe('`tally`');
    expect(identifier('_usage_2026').text).toBe('`_usage_2026`');
  });

  it.each(['', 'a.b', 'a`b', 'a b', '1st', 'x; DROP DATABASE y', 'a'.repeat(65), 'tally\n'])('refuses %j', (value) => {
    expect(() => identifier(value)).toThrow(TypeError);
  });
});

describe('list and clickHouseSql', () => {
  it('joins encoded values and composes statements', () => {
    const where = clickHouseSql`owner_id = ${uuid('0f8fad5b-d9cb-469f-a165-70867728950e')}`;
    expect(clickHouseSql`SELECT 1 FROM ${identifier('db')}.t WHERE ${where} AND k IN (${list(['a', "b'"].map(string))})`.text).toBe(
      "SELECT 1 FROM `db`.t WHERE owner_id = toUUID('0f8fad5b-d9cb-469f-a165-70867728950e') AND k IN ('a', 'b\\'')",
    );
  });

  it('refuses a raw value interpolated past the types', () => {
    expect(() => clickHouseSql`SELECT ${untyped<ClickHouseSql>("1'; DROP TABLE x")}`).toThrow(/not an encoded literal/);
    expect(() => clickHouseSql`SELECT ${untyped<ClickHouseSql>(5)}`).toThrow(/not an encoded literal/);
    expect(() => clickHouseSql`SELECT ${untyped<ClickHouseSql>({ text: "'" })}`).toThrow(/not an encoded literal/);
  });

  it('refuses to be called other than as a template tag', () => {
    expect(() => clickHouseSql(untyped<TemplateStringsArray>(['SELECT 1']))).toThrow(/template tag/);
  });

  it('refuses an empty or raw list', () => {
    expect(() => list([])).toThrow(RangeError);
    expect(() => list(untyped<ClickHouseSql[]>(['a']))).toThrow(/not an encoded literal/);
  });
});
