import { describe, expect, it } from 'vitest';
import { createJsonDocumentSplitter, type JsonUnit } from './json-documents.js';

function split(text: string, max = 10_000, pieceSize = 7): JsonUnit[] {
  const splitter = createJsonDocumentSplitter(max);
  const out: JsonUnit[] = [];
  for (let i = 0; i < text.length; i += pieceSize) out.push(...splitter.push(text.slice(i, i + pieceSize)));
  return [...out, ...splitter.end()];
}

describe('createJsonDocumentSplitter', () => {
  it('cuts pretty-printed documents, each with the line it starts on, strings with brackets and escapes kept whole', () => {
    const a = JSON.stringify({ a: '}{]["\\', b: [1, { c: 2 }] }, null, 2);
    const b = JSON.stringify({ d: 'x\ny' }, null, 2);
    expect(split(`${a}\n\n${b}\n`)).toEqual([
      { lineNumber: 1, value: { a: '}{]["\\', b: [1, { c: 2 }] } },
      { lineNumber: a.split('\n').length + 2, value: { d: 'x\ny' } },
    ]);
  });

  it('streams the elements of a top-level array one by one', () => {
    const text = JSON.stringify([{ n: 1 }, { n: 2 }, [3]], null, 2);
    expect(split(text).map((u) => ('value' in u ? u.value : u.error))).toEqual([{ n: 1 }, { n: 2 }, [3]]);
  });

  it('reports text outside documents, a bad document and one that never ends, and goes on', () => {
    const units = split('{"a":1}\nnope\n{"b":,}\n{"c":3}\n{"d":\n');
    expect(units).toEqual([
      { lineNumber: 1, value: { a: 1 } },
      { lineNumber: 2, error: 'invalid JSON: text outside a JSON document' },
      { lineNumber: 3, error: expect.stringMatching(/^invalid JSON: /) },
      { lineNumber: 4, value: { c: 3 } },
      { lineNumber: 5, error: 'invalid JSON: the document starting on this line never ends' },
    ]);
  });

  it('skips a document over the size limit without holding it', () => {
    const big = JSON.stringify({ x: 'y'.repeat(200) });
    expect(split(`${big}\n{"ok":true}\n`, 100)).toEqual([
      { lineNumber: 1, error: 'JSON document longer than 100 characters' },
      { lineNumber: 2, value: { ok: true } },
    ]);
  });
});
