import { describe, expect, it } from 'vitest';
import { AppError } from '../../app-error.js';
import { createCsvMapper, csvFormat, resolveCsvColumns } from './csv-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const only = (items: readonly MappedItem[]) => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
const header = ['timestamp', 'model', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'status', 'cost'];

describe('csvFormat', () => {
  it('recognises common column names without a mapping; prompt_tokens is ALL input (cache subtracted)', () => {
    const resolved = resolveCsvColumns(header);
    expect(resolved).toEqual({
      columns: [
        { column: 'timestamp', target: 'ts' },
        { column: 'model', target: 'model' },
        { column: 'prompt_tokens', target: 'totalInputTokens' },
        { column: 'cached_tokens', target: 'cacheReadTokens' },
        { column: 'completion_tokens', target: 'outputTokens' },
        { column: 'status', target: 'status' },
        { column: 'cost', target: 'costUsd' },
      ],
    });
    const mapper = csvFormat.createMapper({ csvHeader: header });
    const row = { timestamp: '2026-11-20 10:00:00', model: 'gpt-4o-mini', prompt_tokens: '1200', cached_tokens: '1024', completion_tokens: '80', status: 'success', cost: '' };
    expect(only(mapper.map(row, 2))).toEqual({
      lineNumber: 2,
      record: expect.objectContaining({ ts: '2026-11-20T10:00:00.000Z', model: 'gpt-4o-mini', inputTokens: 176, cacheReadTokens: 1024, outputTokens: 80, status: 'ok' }),
    });
  });

  it("reads Tally's own field names as they are (inputTokens is uncached)", () => {
    const mapper = csvFormat.createMapper({ csvHeader: ['ts', 'model', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'batch', 'interactive'] });
    const row = { ts: '1795168800', model: 'gpt-4o', inputTokens: '100', outputTokens: '5', cacheReadTokens: '900', batch: 'yes', interactive: '0' };
    expect(only(mapper.map(row, 3))).toMatchObject({ record: { ts: '2026-11-20T10:00:00.000Z', inputTokens: 100, cacheReadTokens: 900, batch: true, interactive: false } });
  });

  it('applies a mapping (column → field) before the recognised names', () => {
    const csvHeader = ['Request ID', 'Date', 'Engine', 'Tokens In', 'Cache Hits', 'Tokens Out', 'model'];
    const mapping = { 'Request ID': 'id', Date: 'ts', Engine: 'model', 'Tokens In': 'totalInputTokens', 'Cache Hits': 'cacheReadTokens', 'Tokens Out': 'outputTokens' };
    const mapper = csvFormat.createMapper({ csvHeader, mapping });
    const row = { 'Request ID': 'r-1', Date: '2026-11-20T10:00:00Z', Engine: 'gpt-4.1', 'Tokens In': '6000', 'Cache Hits': '4096', 'Tokens Out': '380', model: 'ignored' };
    expect(only(mapper.map(row, 2))).toMatchObject({ record: { id: 'r-1', model: 'gpt-4.1', inputTokens: 1904, cacheReadTokens: 4096 } });
  });

  it('refuses a mapping or header it cannot use, before reading any row', () => {
    expect(() => csvFormat.createMapper({ csvHeader: ['a', 'b'] })).toThrow(AppError);
    expect(() => csvFormat.createMapper({ csvHeader: ['a', 'b'] })).toThrow(/no column for ts, model, outputTokens, inputTokens/);
    expect(resolveCsvColumns(header, { nope: 'ts' })).toEqual({ error: expect.stringMatching(/column "nope" that the header does not have/) });
    expect(resolveCsvColumns(header, { model: 'modelName' })).toEqual({ error: expect.stringMatching(/"modelName", which is not a field/) });
    expect(resolveCsvColumns([...header, 'input_tokens'])).toEqual({ error: expect.stringMatching(/either inputTokens .* or totalInputTokens/) });
  });

  it('reports each bad cell of a row with its column', () => {
    const mapper = createCsvMapper([
      { column: 'when', target: 'ts' },
      { column: 'm', target: 'model' },
      { column: 'in', target: 'inputTokens' },
      { column: 'out', target: 'outputTokens' },
      { column: 'ok', target: 'status' },
    ]);
    expect(only(mapper.map({ when: 'later', m: 'x', in: '-3', out: '1.5', ok: 'maybe' }, 4))).toEqual({
      lineNumber: 4,
      error: expect.stringMatching(/^when: not a time.*in: expected a whole number.*out: expected a whole number.*ok: expected ok, error or timeout/),
    });
    expect(only(mapper.map({ when: '2026-11-20', m: 'x', in: '1', out: '1', ok: '504' }, 5))).toMatchObject({ record: { status: 'timeout' } });
    expect(only(mapper.map({ m: 'x', in: '1', out: '1' }, 6))).toMatchObject({ error: expect.stringMatching(/^ts: /) });
  });

  it('refuses cache counts larger than the total input that includes them', () => {
    const mapper = csvFormat.createMapper({ csvHeader: header });
    const row = { timestamp: '2026-11-20T10:00:00Z', model: 'm', prompt_tokens: '10', cached_tokens: '20', completion_tokens: '1' };
    expect(only(mapper.map(row, 2))).toMatchObject({ error: expect.stringMatching(/exceed the total input/) });
  });

  it('is the confident choice for a header that names the fields, a weak one otherwise', () => {
    const sample = (csvHeader: string[]): FormatSample => ({ framing: 'csv', lines: [], values: [], csvHeader, head: '' });
    expect(csvFormat.detect(sample(header))).toBe(0.6);
    expect(csvFormat.detect(sample(['a', 'b']))).toBeLessThan(0.5);
  });
});
