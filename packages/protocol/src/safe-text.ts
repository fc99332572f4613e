import { z } from 'zod';

/**
 * The input rule every boundary applies (HTTP bodies and queries, WebSocket commands, usage
 * lines), so what the schemas accept the stores can keep: no text with a NUL byte (PostgreSQL
 * text cannot hold one) or an unpaired UTF-16 surrogate (no UTF-8 spells it); integers within
 * the range of the column they land in; times within years 1970-9999 (PostgreSQL has no year 0).
 * Refused input is a typed VALIDATION_FAILED / FRAME_INVALID / per-line refusal, never a 500.
 */

export const UNSAFE_TEXT_MESSAGE = 'must not contain NUL bytes or unpaired surrogates';

/**
 * A surrogate half without its other half: for engines older than ES2024's String#isWellFormed
 * (browsers before 2023).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed: (value: string) => boolean =
  typeof String.prototype.isWellFormed === 'function' ? (value) => value.isWellFormed() : (value) => !LONE_SURROGATE.test(value);

/** No NUL byte, and no surrogate half without its other half. */
export function isSafeText(value: string): boolean {
  return isWellFormed(value) && !value.includes('\u0000');
}

/** A string the stores can keep; chain .trim(), .min(), .max() as on z.string(). */
export function safeText() {
  return z.string().refine(isSafeText, { message: UNSAFE_TEXT_MESSAGE });
}

/** Largest value of a PostgreSQL `integer` column (and ClickHouse UInt32 fits it). */
export const INT32_MAX = 2_147_483_647;

/** A whole number from `min` up to what an `integer` column holds. */
export function int32(min = 0) {
  return z.number().int().min(min).max(INT32_MAX);
}

/** Earliest and latest instants accepted as times: 1970-01-01 to the end of year 9999, UTC. */
export const MIN_TIME_MS = Date.UTC(1970, 0, 1);
export const MAX_TIME_MS = Date.UTC(10000, 0, 1) - 1;

export function isSaneTime(iso: string): boolean {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}

/** An ISO-8601 time with a zone, within years 1970-9999. */
export function isoTime() {
  return z.string().datetime({ offset: true }).refine(isSaneTime, { message: 'must be between 1970-01-01 and 9999-12-31' });
}

/**
 * The path of the first string (key or value) in a parsed JSON value that breaks the text rule,
 * or null when there is none: applied to whole requests and frames, so no field can miss it.
 */
export function unsafeTextPath(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return isSafeText(value) ? null : path.join('.') || '(value)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsafeTextPath(value[i], [...path, String(i)]);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!isSafeText(key)) return [...path, '(key)'].join('.');
      const found = unsafeTextPath(item, [...path, key]);
      if (found !== null) return found;
    }
  }
  return null;
}
