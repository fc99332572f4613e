import { wellFormed } from '../well-formed-text.js';

/**
 * Typed SQL literals for ClickHouse. The ClickHouse we support (from 18.16 on) has no server-side
 * query parameters, so values are written into the SQL text; this module is the one place that
 * does it. A statement is built with the `clickHouseSql` tag, whose interpolations must be
 * fragments made here (a literal encoder, another statement, or a list of them): a plain string
 * or number interpolated by mistake is a type error and, should types be bypassed, a runtime
 * error. Every encoder checks its input's kind before writing it, and throws rather than guess.
 */

/**
 * A piece of ClickHouse SQL whose every value went through an encoder of this module. The class
 * is not exported (only its type is), so no other module can make one out of raw text.
 */
class ClickHouseSql {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  /** The SQL text, ready to send. */
  get text(): string {
    return this.#text;
  }

  toString(): string {
    return this.#text;
  }
}
export type { ClickHouseSql };

const fragment = (text: string): ClickHouseSql => new ClickHouseSql(text);

/**
 * The statement builder: constant SQL from the template, values only as checked fragments.
 * `clickHouseSql\`SELECT 1 FROM ${identifier(db)}.t WHERE owner_id = ${uuid(ownerId)}\``
 */
export function clickHouseSql(strings: TemplateStringsArray, ...values: ClickHouseSql[]): ClickHouseSql {
  // A real tagged-template call carries `raw`; a hand-made array of strings does not.
  if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
    throw new TypeError('clickHouseSql must be used as a template tag');
  }
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    if (!(value instanceof ClickHouseSql)) {
      throw new TypeError(`clickHouseSql: value ${i + 1} is a ${typeof value}, not an encoded literal`);
    }
    text += value.text + (strings[i + 1] ?? '');
  });
  return fragment(text);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID, validated as one: `toUUID('…')`, lower-cased. */
export function uuid(value: string): ClickHouseSql {
  if (typeof value !== 'string' || !UUID.test(value)) throw new TypeError(`not a UUID: ${describe(value)}`);
  return fragment(`toUUID('${value.toLowerCase()}')`);
}

/**
 * A string literal, escaped by ClickHouse's rules for quoted strings: backslash and quote are
 * backslash-escaped, control characters written as `\xHH`, everything else as UTF-8. A lone
 * UTF-16 surrogate (which UTF-8 cannot hold) becomes U+FFFD, exactly as Node's UTF-8 encoding of
 * the same string does on the way to PostgreSQL, so a key compares equal to the stored one.
 */
export function string(value: string): ClickHouseSql {
  if (typeof value !== 'string') throw new TypeError(`not a string: ${describe(value)}`);
  return fragment(`'${escapeString(wellFormed(value))}'`);
}

function escapeString(value: string): string {
  return value.replace(/[\\'\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === "'") return "\\'";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * A column definition for CREATE TABLE from the code's own column tables (usage-columns.ts):
 * the name goes through `identifier`, the type must be type syntax only (names, numbers,
 * parentheses, commas, quoted enum labels, `=`), so no statement can be smuggled in through it.
 */
export function columnDefinition(name: string, type: string): ClickHouseSql {
  if (!/^[A-Za-z0-9_(), ='.]+$/.test(type) || type.includes("\\")) throw new TypeError(`not a column type: ${describe(type)}`);
  return fragment(`${identifier(name).text} ${type}`);
}

/** A whole number within JavaScript's exact range; negatives are parenthesised (no `--` comment). */
export function int(value: number): ClickHouseSql {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${describe(value)}`);
  return fragment(value < 0 ? `(${value})` : String(value === 0 ? 0 : value));
}

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A finite float. ClickHouse's parser rejects subnormal literals, so those are refused rather
 * than rounded silently; negatives are parenthesised.
 */
export function float(value: number): ClickHouseSql {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`not a finite number: ${describe(value)}`);
  if (value !== 0 && Math.abs(value) < MIN_NORMAL) throw new RangeError(`subnormal number not supported: ${value}`);
  if (value === 0) return fragment('0.');
  const text = String(value);
  // `1` alone would be read as an integer type; keep a float's type a float.
  const asFloat = /[.e]/.test(text) ? text : `${text}.`;
  return fragment(value < 0 ? `(${asFloat})` : asFloat);
}

/**
 * An instant as epoch milliseconds (an integer), from an ISO-8601 time with a zone or a Date.
 * Dates never reach SQL as text: code turns them into a number and the SQL does the rest.
 */
export function epochMs(value: string | Date): ClickHouseSql {
  return int(toEpochMs(value));
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Epoch milliseconds of an ISO-8601 time that names its zone, or of a valid Date. */
export function toEpochMs(value: string | Date): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new TypeError('invalid Date');
    return ms;
  }
  if (typeof value !== 'string' || !ISO.test(value)) throw new TypeError(`not an ISO-8601 time with a zone: ${describe(value)}`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`invalid time: ${describe(value)}`);
  return ms;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A database or table name: letters, digits and underscores only, back-quoted. */
export function identifier(value: string): ClickHouseSql {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) throw new TypeError(`not a plain identifier: ${describe(value)}`);
  return fragment(`\`${value}\``);
}

/** Fragments joined by commas, e.g. for `IN (…)`; an empty list is an error, as `IN ()` is. */
export function list(values: readonly ClickHouseSql[]): ClickHouseSql {
  if (values.length === 0) throw new RangeError('an empty list cannot be written as SQL');
  for (const value of values) {
    if (!(value instanceof ClickHouseSql)) throw new TypeError(`list: ${typeof value} is not an encoded literal`);
  }
  return fragment(values.map((v) => v.text).join(', '));
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
