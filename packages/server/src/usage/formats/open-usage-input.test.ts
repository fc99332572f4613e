import { describe, expect, it } from 'vitest';
import { openUsageInput } from './open-usage-input.js';
import type { JsonUnit } from './json-documents.js';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function all(units: AsyncIterable<JsonUnit>): Promise<JsonUnit[]> {
  const out: JsonUnit[] = [];
  for await (const unit of units) out.push(unit);
  return out;
}

describe('openUsageInput', () => {
  it('detects the format from the start and hands back every unit, the sampled ones included', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ resourceSpans: [], n: i }));
    const input = await openUsageInput(pieces(lines.join('\n'), 100));
    expect(input.format.name).toBe('otel');
    const units = await all(input.units);
    expect(units.map((u) => u.lineNumber)).toEqual(lines.map((_, i) => i + 1));
  });

  it('reads pretty-printed documents and CSV in their own framing', async () => {
    const doc = JSON.stringify({ resourceSpans: [{ scopeSpans: [] }] }, null, 2);
    const pretty = await openUsageInput(pieces(`${doc}\n${doc}\n`, 16));
    expect(await all(pretty.units)).toEqual([
      { lineNumber: 1, value: { resourceSpans: [{ scopeSpans: [] }] } },
      { lineNumber: doc.split('\n').length + 1, value: { resourceSpans: [{ scopeSpans: [] }] } },
    ]);
    const csv = await openUsageInput(pieces('ts,model,inputTokens,outputTokens\n2026-11-20T10:00:00Z,m,1,2\n', 10));
    expect([csv.format.name, csv.framing]).toEqual(['csv', 'csv']);
    expect(await all(csv.units)).toEqual([{ lineNumber: 2, value: { ts: '2026-11-20T10:00:00Z', model: 'm', inputTokens: '1', outputTokens: '2' } }]);
  });

  it('uses the format it is given, whatever the content', async () => {
    const input = await openUsageInput(pieces('{"ts":"x"}\n', 4), { format: 'anthropic' });
    expect(input.format.name).toBe('anthropic');
  });

  it('reads a first line longer than the sample window to its end before detecting', async () => {
    const spans = Array.from({ length: 2000 }, (_, i) => ({ spanId: String(i).padStart(16, '0'), attributes: [] }));
    const first = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
    expect(first.length).toBeGreaterThan(64 * 1024);
    const input = await openUsageInput(pieces(`${first}\n${first}\n`, 4096));
    expect(input.format.name).toBe('otel');
    expect((await all(input.units)).length).toBe(2);
  });

  it('refuses content no format fits, naming every format tried and why, before reading on', async () => {
    const refusal = openUsageInput(pieces('{"event":"click","page":"/home"}\n{"event":"view"}\n', 7));
    await expect(refusal).rejects.toMatchObject({ code: 'USAGE_FORMAT_UNKNOWN', message: expect.stringMatching(/No usage format fits JSON of a shape no format knows\. tally: looks for records with `ts`/) });
    const error = (await refusal.catch((e: unknown) => e)) as { details: { tried: Array<{ format: string; reason: string }> } };
    expect(error.details.tried.map((t) => t.format)).toContain('codex');
    expect(error.details.tried.find((t) => t.format === 'cursor')?.reason).toBe('reads CSV; this is JSON');
    // A CSV header without the needed columns: the tried list and the header, for a mapping.
    const csv = await openUsageInput(pieces('when,engine,in,out\n2026-01-01,m,1,2\n', 5)).catch((e: unknown) => e);
    expect(csv).toMatchObject({ code: 'USAGE_FORMAT_UNKNOWN', details: { csvHeader: ['when', 'engine', 'in', 'out'], tried: expect.arrayContaining([{ format: 'csv', reason: expect.stringMatching(/no column for ts, model/) }]) } });
    // With a mapping the same CSV is read; lines that are not JSON still get per-line errors.
    expect((await openUsageInput(pieces('when,engine,in,out\n', 5), { mapping: { when: 'ts', engine: 'model', in: 'inputTokens', out: 'outputTokens' } })).format.name).toBe('csv');
    expect((await openUsageInput(pieces('nope\n{"x":1}\n', 5))).format.name).toBe('tally');
  });
});
