import { describe, expect, it } from 'vitest';
import { createLineSplitter, isBlank, readTextLines } from './text-lines.js';

async function lines(pieces: string[], max = 100) {
  const out = [];
  async function* text() {
    yield* pieces;
  }
  for await (const line of readTextLines(text(), max)) out.push(line);
  return out;
}

describe('text lines', () => {
  it('numbers non-blank lines across pieces, strips CR and a leading BOM, keeps a last line without newline', async () => {
    expect(await lines(['\uFEFFa\r\n', '\n  \nb', 'c\nd'])).toEqual([
      { lineNumber: 1, text: 'a' },
      { lineNumber: 4, text: 'bc' },
      { lineNumber: 5, text: 'd' },
    ]);
  });

  it('reports an over-long line without holding it and goes on', async () => {
    expect(await lines(['ok\n', 'x'.repeat(60), 'x'.repeat(60), '\nok\n'], 100)).toEqual([
      { lineNumber: 1, text: 'ok' },
      { lineNumber: 2, error: 'line longer than 100 characters' },
      { lineNumber: 3, text: 'ok' },
    ]);
    const splitter = createLineSplitter(3);
    expect([...splitter.push('abcdef'), ...splitter.end()]).toEqual([{ lineNumber: 1, error: 'line longer than 3 characters' }]);
  });

  it('tells blank lines apart quickly', () => {
    expect([isBlank(''), isBlank(' \t'), isBlank('\u00a0'), isBlank('{'), isBlank(' x')]).toEqual([true, true, true, false, false]);
  });
});
