import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readUsageNdjson, type ChunkSource, type NdjsonLine } from './ndjson-reader.js';

const good = (n: number) =>
  JSON.stringify({ ts: `2026-09-0${n}T10:00:00Z`, model: 'gpt-4o-mini', inputTokens: 100 * n, outputTokens: 10 });

async function collect(source: ChunkSource, maxLineChars?: number): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const line of readUsageNdjson(source, maxLineChars === undefined ? {} : { maxLineChars })) out.push(line);
  return out;
}

function summary(lines: NdjsonLine[]): Array<[number, string]> {
  return lines.map((l) => [l.lineNumber, 'record' in l ? `ok ${l.record.inputTokens}` : `error ${l.error}`]);
}

describe('readUsageNdjson', () => {
  it('reads good lines, reports bad ones with their number and reason, skips blank lines', async () => {
    const text = [good(1), '', '{"ts": nope}', good(2), '{"ts":"2026-09-01T00:00:00Z","model":"m","inputTokens":"12","outputTokens":1}', '   ', good(3)].join('\n') + '\n';
    const lines = await collect([text]);
    expect(summary(lines).map(([n, s]) => [n, s.split(':')[0]])).toEqual([
      [1, 'ok 100'],
      [3, 'error invalid JSON'],
      [4, 'ok 200'],
      [5, 'error inputTokens'],
      [7, 'ok 300'],
    ]);
    const schemaError = lines[3];
    expect(schemaError && 'error' in schemaError && schemaError.error).toMatch(/^inputTokens: .*number/);
  });

  it('applies schema defaults and reports refinements with their field path', async () => {
    const bad = JSON.stringify({ ts: '2026-09-01T00:00:00Z', model: 'm', inputTokens: 1, outputTokens: 1, reasoningTokens: 5 });
    const lines = await collect([`${good(1)}\n${bad}\n`]);
    const first = lines[0];
    expect(first && 'record' in first && first.record).toMatchObject({ project: 'default', feature: 'default', status: 'ok', attempt: 1, cacheReadTokens: 0 });
    expect(lines[1]).toEqual({ lineNumber: 2, error: 'reasoningTokens: reasoningTokens must not exceed outputTokens' });
  });

  it('reads a last line without newline, CRLF line ends and a byte-order mark', async () => {
    const lines = await collect([`\uFEFF${good(1)}\r\n${good(2)}\r\n${good(3)}`]);
    expect(summary(lines)).toEqual([
      [1, 'ok 100'],
      [2, 'ok 200'],
      [3, 'ok 300'],
    ]);
  });

  it('joins lines and multi-byte characters split across byte chunks', async () => {
    const text = `${JSON.stringify({ ts: '2026-09-01T00:00:00Z', model: 'm', project: 'café ☕', inputTokens: 1, outputTokens: 1 })}\n${good(2)}\n`;
    const bytes = Buffer.from(text, 'utf-8');
    // One byte per chunk: every character and every line is split.
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    const lines = await collect(Readable.from(chunks));
    const first = lines[0];
    expect(first && 'record' in first && first.record.project).toBe('café ☕');
    expect(summary(lines)[1]).toEqual([2, 'ok 200']);
  });

  it('yields nothing for empty input', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect(['', '\n\n'])).toEqual([]);
  });

  it('reports an over-long line without holding it, and goes on', async () => {
    const long = 'x'.repeat(500);
    const lines = await collect([good(1), '\n', long.slice(0, 250), long.slice(250), long, '\n', good(2), '\n', long], 300);
    expect(summary(lines)).toEqual([
      [1, 'ok 100'],
      [2, 'error line longer than 300 characters'],
      [3, 'ok 200'],
      [4, 'error line longer than 300 characters'],
    ]);
  });

  it('reads the checked-in sample file without an error', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const sample = path.resolve(here, '../../../../docs/samples/usage-sample.ndjson');
    const lines = await collect(fs.createReadStream(sample));
    expect(lines.length).toBeGreaterThanOrEqual(15);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
  });
});
