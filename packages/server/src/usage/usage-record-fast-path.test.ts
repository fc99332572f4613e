import { INT32_MAX, UsageRecordSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_KEYS, fastUsageRecord, SHAPE_MATCHES } from './usage-record-fast-path.js';
import { validateUsageRecord } from './validate-usage-record.js';

/** A small seeded generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T,>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)]!;

/** Values at and around every bound the schema draws, and of every wrong type. */
const NUMBERS = [0, -0, 1, 2, 7, 100, 1.5, -1, INT32_MAX, INT32_MAX + 1, 2 ** 53, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1];
const TEXTS = ['', 'a', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(200), 'x'.repeat(201), 'a\u0000b', '\uD800', 'ok \uD83D\uDE00', 'default', ' '];
const TIMES = [
  '2026-11-01T12:00:00.000Z', '2026-02-28T23:59:59.999Z', '2024-02-29T00:00:00.000Z', '2026-02-29T00:00:00.000Z', '2026-02-30T00:00:00.000Z',
  '2026-13-01T00:00:00.000Z', '2026-11-01T24:00:00.000Z', '2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000+02:00', '2026-11-01T12:00:00.123456Z',
  '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z', '2026-11-01T12:60:00.000Z', '2026-11-01T12:00:60.000Z', '2026-04-31T00:00:00.000Z',
  '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00.000Z', '2026-11-01', 'yesterday', '',
];
const OTHERS: unknown[] = [undefined, null, true, false, {}, [], '1', 'ok', 'error', 'timeout', 'OK'];

function anyValue(next: () => number): unknown {
  const kind = next();
  if (kind < 0.35) return pick(next, NUMBERS);
  if (kind < 0.6) return pick(next, TEXTS);
  if (kind < 0.7) return pick(next, TIMES);
  return pick(next, OTHERS);
}

/** A record every mapper could write, with 0-4 random changes: a key dropped, a value replaced, a key added. */
function candidate(next: () => number): Record<string, unknown> {
  const value: Record<string, unknown> = {
    id: 'resp_1',
    ts: pick(next, TIMES.slice(0, 3)),
    provider: 'openai',
    model: 'gpt-4o-mini',
    user: 'ana',
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadTokens: 800,
    reasoningTokens: 100,
    latencyMs: 812.5,
    status: 'ok',
    maxOutputTokens: 4096,
    promptPrefixHash: 'abc',
    prefixTokens: 900,
  };
  // Some records carry every field, some only what is required.
  if (next() < 0.3) for (const key of ['id', 'provider', 'user', 'reasoningTokens', 'latencyMs', 'maxOutputTokens', 'promptPrefixHash', 'prefixTokens']) delete value[key];
  if (next() < 0.3) Object.assign(value, { project: 'p', feature: 'f', cacheWriteTokens: 10, cacheWrite1hTokens: 5, interactive: false, batch: true, attempt: 2, costUsd: 0.01 });
  const changes = Math.floor(next() * 5);
  for (let c = 0; c < changes; c++) {
    const what = next();
    const key = pick(next, FAST_PATH_KEYS);
    if (what < 0.25) delete value[key];
    else if (what < 0.95) value[key] = anyValue(next);
    else value[pick(next, ['extra', 'constructor', 'toString', '__proto__x'])] = 1;
  }
  return value;
}

describe('the usage record fast path', () => {
  it('knows every key of the schema, in its order (else it would be off)', () => {
    expect(Object.keys(UsageRecordSchema.shape)).toEqual([...FAST_PATH_KEYS]);
    expect(SHAPE_MATCHES).toBe(true);
  });

  it('answers only where zod accepts, with exactly what zod returns, and answers for most of what zod accepts', () => {
    const next = random(18);
    let accepted = 0;
    let answered = 0;
    for (let i = 0; i < 40_000; i++) {
      const value = candidate(next);
      const fast = fastUsageRecord(value);
      const zod = UsageRecordSchema.safeParse(value);
      if (zod.success) accepted += 1;
      if (fast === undefined) continue;
      answered += 1;
      // The same keys in the same order, the same values (an optional key present as undefined included).
      expect(zod.success, `value ${i}: ${JSON.stringify(value)}`).toBe(true);
      if (!zod.success) continue;
      expect(Object.keys(fast), `value ${i}`).toEqual(Object.keys(zod.data));
      expect(fast, `value ${i}`).toStrictEqual(zod.data);
    }
    // Both kinds are well represented, and the fast path is not silently off.
    expect(accepted).toBeGreaterThan(5_000);
    expect(answered / accepted).toBeGreaterThan(0.9);
  });

  it('hands every refusal to zod, so its messages are the schema`s', () => {
    const late = validateUsageRecord({ ts: '2026-11-01T12:00:00.000Z', model: 'm', inputTokens: 1, outputTokens: 2, reasoningTokens: 3 });
    expect(late).toEqual({ error: 'reasoningTokens: reasoningTokens must not exceed outputTokens' });
    expect(validateUsageRecord({ ts: '2026-11-01T12:00:00.000Z', model: 'm', inputTokens: -1, outputTokens: 2 })).toEqual({ error: expect.stringMatching(/^inputTokens: /) });
    expect(validateUsageRecord({ ts: '2026-11-01T12:00:00.000Z', model: 'm', inputTokens: 1, outputTokens: 2, extra: 1 })).toEqual({ error: expect.stringMatching(/extra/) });
  });

  it('keeps the plausibility check on the fast path', () => {
    const now = Date.parse('2026-11-01T12:00:00.000Z');
    expect(validateUsageRecord({ ts: '2026-11-03T12:00:00.000Z', model: 'm', inputTokens: 1, outputTokens: 2 }, now)).toEqual({ error: expect.stringMatching(/more than a day in the future/) });
    expect(validateUsageRecord({ ts: '2026-11-01T11:00:00.000Z', model: 'm', inputTokens: 30_000_000, outputTokens: 2 }, now)).toEqual({ error: expect.stringMatching(/^input tokens: /) });
  });
});
