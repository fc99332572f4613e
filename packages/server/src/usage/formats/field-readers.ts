import { createHash } from 'node:crypto';

/** Small, total readers of foreign JSON and CSV values, shared by the format mappers. */

export type JsonObject = Record<string, unknown>;

/** The value as a plain object, or undefined. */
export function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** The value as an array, or an empty one: lists a foreign document may leave out. */
export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Absent: undefined, null or an empty (or blank) string, as CSV cells and JSON exports write "no value". */
export function isAbsent(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A non-empty string; numbers are written out (ids are sometimes numbers). */
export function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A token count: a whole number ≥ 0, as a number or a decimal string (CSV cells, OTLP's 64-bit
 * ints). Undefined when absent; when present but not a count, the problem is added to `problems`
 * under `name` and undefined is returned, so a mapper reports every bad field of a line at once.
 */
export function countOf(value: unknown, name: string, problems: string[]): number | undefined {
  if (isAbsent(value)) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(n) && n >= 0) return n;
  problems.push(`${name}: expected a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return undefined;
}

/** A finite number ≥ 0 (latency, cost), from a number or a decimal string; problems as for countOf. */
export function amountOf(value: unknown, name: string, problems: string[]): number | undefined {
  if (isAbsent(value)) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim().replace(/^\$/, '')) : Number.NaN;
  if (Number.isFinite(n) && n >= 0) return n;
  problems.push(`${name}: expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return undefined;
}

const DATE_ONLY = /^(\d{4}-\d{2}-\d{2})$/;
// A date and time, `T` or a space between, optional fraction, optional zone (Z, ±hh, ±hhmm, ±hh:mm).
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DIGITS = /^\d{9,20}$/;

/**
 * An instant as ISO-8601 UTC (`…Z`), from an ISO date-time (a missing zone means UTC, as LiteLLM
 * and database exports write it), or from epoch seconds, milliseconds, microseconds or
 * nanoseconds told apart by size. Undefined when absent, null when present but not a time.
 */
export function isoTimeOf(value: unknown): string | null | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? epochToIso(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (DIGITS.test(text)) return text.length >= 18 ? nanosToIso(text) : epochToIso(Number(text));
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) return validIso(`${dateOnly[1]}T00:00:00Z`);
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const zone = m[3] === undefined ? 'Z' : normalizeZone(m[3]);
  return validIso(`${m[1]}T${m[2]!.replace(',', '.')}${zone}`);
}

function normalizeZone(zone: string): string {
  if (zone.toUpperCase() === 'Z') return 'Z';
  if (zone.length === 3) return `${zone}:00`;
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

function validIso(text: string): string | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Epoch time told apart by size: seconds, milliseconds, microseconds, nanoseconds (as a number, lossy). */
function epochToIso(n: number): string | null {
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6;
  const date = new Date(Math.round(ms));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Unix seconds (OpenAI's `created`) as ISO. */
export function unixSecondsToIso(value: unknown): string | null | undefined {
  if (isAbsent(value)) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) return null;
  return new Date(Math.round(n * 1000)).toISOString();
}

/**
 * Nanoseconds since the epoch (OTLP's `*UnixNano`: a decimal string, a number in files that
 * write bare numbers, or a bigint read from protobuf) as ISO with milliseconds. The values exceed
 * 2^53: a decimal string's milliseconds are its digits but the last six (exact in a double up to
 * 15 of them), any other value is divided as a BigInt. Called twice per span, this function with
 * the BigInt parse and division was 4-5 % of the OTLP reading thread's CPU (profiled, session 21).
 */
export function nanosToIso(value: unknown): string | null {
  const ms = typeof value === 'string' && value.length <= MAX_FAST_NANOS_DIGITS && NANOS_DIGITS.test(value) ? Number(value.slice(0, -6) || '0') : nanosToMs(value);
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Decimal nanoseconds whose milliseconds (all digits but six) stay below 2^53. */
const MAX_FAST_NANOS_DIGITS = 21;
const NANOS_DIGITS = /^\d+$/;

function nanosToMs(value: unknown): number | null {
  const ns = nanosOf(value);
  return ns === null ? null : Number(ns / 1_000_000n);
}

/** end − start in milliseconds, from two nanosecond values; undefined when either is missing or end < start. */
export function nanosBetweenMs(start: unknown, end: unknown): number | undefined {
  const a = nanosOf(start);
  const b = nanosOf(end);
  if (a === null || b === null || b < a) return undefined;
  // The difference is small: exact in a double once it is below 2^53 ns (104 days).
  return Number(b - a) / 1e6;
}

function nanosOf(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value >= 0n ? value : null;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value));
  return null;
}

/** Longest record id (the schema's limit). */
const MAX_ID = 200;

/**
 * A record id from parts (`traceId:spanId`, `msg_…:req_…`), joined with `:`; an over-long one
 * is replaced by a hash of itself, so it stays stable and unique.
 */
export function idOf(...parts: string[]): string {
  const id = parts.join(':');
  return id.length <= MAX_ID ? id : `h:${createHash('sha256').update(id).digest('hex')}`;
}

/** `metadata` fields that some exports write as a JSON string rather than an object. */
export function objectOrJsonString(value: unknown): JsonObject | undefined {
  if (typeof value !== 'string') return asObject(value);
  const text = value.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}
