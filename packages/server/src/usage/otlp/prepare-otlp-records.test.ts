import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { generateUsage } from '../demo/generate-usage.js';
import type { MappedItem } from '../formats/usage-format.js';
import { unpackStrings } from '../packed-strings.js';
import { prepareOtlpRecords } from './prepare-otlp-records.js';

const prices = createGenaiPriceCatalog();
const target = { workspaceId: '11111111-1111-4111-8111-111111111111', form: 'sql-json' } as const;

function items(count: number): MappedItem[] {
  const records = [...generateUsage({ seed: 7, days: 2, end: new Date('2026-11-01T00:00:00Z'), requestsPerDay: count })].slice(0, count);
  return records.map((record, i) => ({ lineNumber: i + 1, record }));
}

describe('prepareOtlpRecords', () => {
  it('gives way to the thread`s other work while it prepares a large request, and prepares it whole, in order', async () => {
    const many = items(1000);
    let turns = 0;
    let done = false;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const prepared = await prepareOtlpRecords(many, prices, target);
    done = true;
    // 1,000 records in slices of 128: the event loop turned between every two slices.
    expect(turns).toBeGreaterThanOrEqual(7);
    // The same keys, in the same order, as each record prepared alone (a key repeated kept once).
    const alone: string[] = [];
    for (const item of many) alone.push(...unpackStrings((await prepareOtlpRecords([item], prices, target)).rows.keys));
    expect(unpackStrings(prepared.rows.keys)).toEqual(alone.filter((key, i) => alone.indexOf(key) === i));
    expect(prepared.repeated).toBe(alone.length - new Set(alone).size);
    expect(prepared.errors).toEqual([]);
  });

  it('keeps refusals in request order across slices', async () => {
    const mixed: MappedItem[] = items(300).map((item, i) => (i % 100 === 99 ? { lineNumber: item.lineNumber, error: 'no model' } : item));
    expect((await prepareOtlpRecords(mixed, prices, target)).errors).toEqual(['#100: no model', '#200: no model', '#300: no model']);
  });
});
