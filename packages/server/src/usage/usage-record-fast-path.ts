import { INT32_MAX, isSafeText, MAX_TIME_MS, MIN_TIME_MS, UsageRecordSchema, type UsageRecord } from '@tally/protocol';

/**
 * The record schema's answer for the records every mapper writes, without zod's machinery: zod
 * cost ~4-5 µs a record, about a quarter of an OTLP span's read (DECISIONS, session 18).
 *
 * It answers only when it is sure: the value has only the schema's keys, each of the type and
 * within the bounds the schema asks, and its time is a canonical ISO-8601 instant (what
 * `Date#toISOString` writes, as the mappers do). Then it returns exactly what
 * `UsageRecordSchema.parse` returns: the same keys in the same order, defaults filled in.
 * Anything else (a missing or surplus field, a wrong type, a bound crossed, a time written
 * another way) gets `undefined`, and the caller asks zod, which stays the one definition of a
 * valid record and the one writer of its error messages. The schema's own keys are compared with
 * the ones known here when this module loads: a field added to the schema and not here turns
 * this path off (every record then goes through zod) until it is added here too.
 * usage-record-fast-path.test.ts holds the two to the same answers over seeded random values.
 */
export function fastUsageRecord(value: unknown): UsageRecord | undefined {
  if (!SHAPE_MATCHES || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  for (const key in v) if (!KNOWN_KEYS.has(key)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(v, 'ts') || !isCanonicalTime(v['ts'])) return undefined;
  if (!isText(v['model'], 1, 200)) return undefined;
  const inputTokens = v['inputTokens'];
  const outputTokens = v['outputTokens'];
  if (!isInt32(inputTokens, 0) || !isInt32(outputTokens, 0)) return undefined;
  // Optional fields: absent or undefined, or valid. Defaulted fields: the default when absent or undefined.
  if (!optional(v, 'id', (x) => isText(x, 1, 200))) return undefined;
  if (!optional(v, 'provider', (x) => isText(x, 1, 64))) return undefined;
  if (!optional(v, 'user', (x) => isText(x, 0, 200))) return undefined;
  if (!optional(v, 'reasoningTokens', (x) => isInt32(x, 0))) return undefined;
  if (!optional(v, 'latencyMs', isNonNegative)) return undefined;
  if (!optional(v, 'maxOutputTokens', (x) => isInt32(x, 1))) return undefined;
  if (!optional(v, 'promptPrefixHash', (x) => isText(x, 0, 128))) return undefined;
  if (!optional(v, 'prefixTokens', (x) => isInt32(x, 0))) return undefined;
  if (!optional(v, 'costUsd', isNonNegative)) return undefined;
  const project = orDefault(v['project'], 'default');
  const feature = orDefault(v['feature'], 'default');
  const cacheReadTokens = orDefault(v['cacheReadTokens'], 0);
  const cacheWriteTokens = orDefault(v['cacheWriteTokens'], 0);
  const cacheWrite1hTokens = orDefault(v['cacheWrite1hTokens'], 0);
  const status = orDefault(v['status'], 'ok');
  const interactive = orDefault(v['interactive'], true);
  const batch = orDefault(v['batch'], false);
  const attempt = orDefault(v['attempt'], 1);
  if (!isText(project, 1, 200) || !isText(feature, 1, 200)) return undefined;
  if (!isInt32(cacheReadTokens, 0) || !isInt32(cacheWriteTokens, 0) || !isInt32(cacheWrite1hTokens, 0) || !isInt32(attempt, 1)) return undefined;
  if (status !== 'ok' && status !== 'error' && status !== 'timeout') return undefined;
  if (typeof interactive !== 'boolean' || typeof batch !== 'boolean') return undefined;
  // The schema's two refinements.
  const reasoningTokens = v['reasoningTokens'];
  if (reasoningTokens !== undefined && (reasoningTokens as number) > outputTokens) return undefined;
  const prefixTokens = v['prefixTokens'];
  if (prefixTokens !== undefined && (prefixTokens as number) > inputTokens + cacheReadTokens + cacheWriteTokens + cacheWrite1hTokens) return undefined;

  // The schema's key order; an optional key is kept when present, even as undefined, as zod keeps it.
  const record: Record<string, unknown> = {};
  if ('id' in v) record['id'] = v['id'];
  record['ts'] = v['ts'];
  if ('provider' in v) record['provider'] = v['provider'];
  record['model'] = v['model'];
  record['project'] = project;
  record['feature'] = feature;
  if ('user' in v) record['user'] = v['user'];
  record['inputTokens'] = inputTokens;
  record['outputTokens'] = outputTokens;
  record['cacheReadTokens'] = cacheReadTokens;
  record['cacheWriteTokens'] = cacheWriteTokens;
  record['cacheWrite1hTokens'] = cacheWrite1hTokens;
  if ('reasoningTokens' in v) record['reasoningTokens'] = reasoningTokens;
  if ('latencyMs' in v) record['latencyMs'] = v['latencyMs'];
  record['status'] = status;
  record['interactive'] = interactive;
  record['batch'] = batch;
  if ('maxOutputTokens' in v) record['maxOutputTokens'] = v['maxOutputTokens'];
  if ('promptPrefixHash' in v) record['promptPrefixHash'] = v['promptPrefixHash'];
  if ('prefixTokens' in v) record['prefixTokens'] = prefixTokens;
  record['attempt'] = attempt;
  if ('costUsd' in v) record['costUsd'] = v['costUsd'];
  return record as UsageRecord;
}

/** The schema's keys, in its order: the order the record is built in above. */
export const FAST_PATH_KEYS = [
  'id', 'ts', 'provider', 'model', 'project', 'feature', 'user', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens',
  'cacheWrite1hTokens', 'reasoningTokens', 'latencyMs', 'status', 'interactive', 'batch', 'maxOutputTokens', 'promptPrefixHash',
  'prefixTokens', 'attempt', 'costUsd',
] as const;

const KNOWN_KEYS: ReadonlySet<string> = new Set(FAST_PATH_KEYS);

/** Whether the schema has exactly these keys in this order; else the fast path is off. */
export const SHAPE_MATCHES = Object.keys(UsageRecordSchema.shape).join() === FAST_PATH_KEYS.join();

/** zod's default: taken for an absent or undefined value only (null is a value, and a wrong one). */
function orDefault(x: unknown, fallback: unknown): unknown {
  return x === undefined ? fallback : x;
}

function optional(v: Record<string, unknown>, key: string, valid: (x: unknown) => boolean): boolean {
  const x = v[key];
  return x === undefined || valid(x);
}

function isText(x: unknown, min: number, max: number): x is string {
  return typeof x === 'string' && x.length >= min && x.length <= max && isSafeText(x);
}

function isInt32(x: unknown, min: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= INT32_MAX;
}

function isNonNegative(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`: what toISOString writes for the schema's years. */
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A canonical time naming a real instant within the schema's years: every field in its range
 * (no Feb 30, no hour 24, no second 60), read off the digits without parsing the text again or
 * writing it back (a round trip through Date cost ~1 µs a record).
 */
function isCanonicalTime(x: unknown): boolean {
  if (typeof x !== 'string' || !CANONICAL_TIME.test(x)) return false;
  const year = digits(x, 0, 4);
  const month = digits(x, 5, 2);
  const day = digits(x, 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  if (digits(x, 11, 2) > 23 || digits(x, 14, 2) > 59 || digits(x, 17, 2) > 59) return false;
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

/** The schema's times, MIN_TIME_MS to MAX_TIME_MS, are whole years: 1970 to 9999. */
const MIN_YEAR = new Date(MIN_TIME_MS).getUTCFullYear();
const MAX_YEAR = new Date(MAX_TIME_MS).getUTCFullYear();

/** The number written by `length` ASCII digits from `at` (the caller's pattern made them digits). */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
