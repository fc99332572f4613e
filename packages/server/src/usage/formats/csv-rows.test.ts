import { describe, expect, it } from 'vitest';
import { guessDelimiter, looksLikeCsvHeader, parseCsvHeader, readCsvRows } from './csv-rows.js';
import type { JsonUnit } from './json-documents.js';

async function rows(text: string, delimiter = ',', pieceSize = 5): Promise<JsonUnit[]> {
  async function* pieces() {
    for (let i = 0; i < text.length; i += pieceSize) yield text.slice(i, i + pieceSize);
  }
  const out: JsonUnit[] = [];
  for await (const row of readCsvRows(pieces(), delimiter)) out.push(row);
  return out;
}

describe('CSV rows', () => {
  it('reads rows keyed by trimmed header names, with the line each row starts on', async () => {
    const text = '\uFEFFts , model,note\n1,a,"x, y"\n\n2,b,"multi\nline ""quoted"""\n3,c\n4,d,e,extra\n';
    expect(await rows(text)).toEqual([
      { lineNumber: 2, value: { ts: '1', model: 'a', note: 'x, y' } },
      { lineNumber: 4, value: { ts: '2', model: 'b', note: 'multi\nline "quoted"' } },
      { lineNumber: 6, value: { ts: '3', model: 'c' } },
      { lineNumber: 7, value: { ts: '4', model: 'd', note: 'e' } },
    ]);
  });

  it('accepts stray quotes inside a cell, and reports a quote left open (which swallows the rest) after the good rows', async () => {
    expect(await rows('a,b\n1,2\n"3"x,4\n')).toEqual([
      { lineNumber: 2, value: { a: '1', b: '2' } },
      { lineNumber: 3, value: { a: '"3"x', b: '4' } },
    ]);
    expect(await rows('a,b\n1,2\n3,"4\n5,6\n')).toEqual([
      { lineNumber: 2, value: { a: '1', b: '2' } },
      { lineNumber: expect.any(Number), error: expect.stringMatching(/^invalid CSV: Quote Not Closed/) },
    ]);
  });

  it('guesses the separator from the header and parses it', () => {
    expect(guessDelimiter('a;b;"c,d"')).toBe(';');
    expect(guessDelimiter('a\tb')).toBe('\t');
    expect(guessDelimiter('a')).toBe(',');
    expect(parseCsvHeader('"Request ID";Date')).toEqual(['Request ID', 'Date']);
    expect(looksLikeCsvHeader('ts,model')).toBe(true);
    expect(looksLikeCsvHeader('not json at all')).toBe(false);
    expect(looksLikeCsvHeader('"a,b"')).toBe(false);
  });
});
