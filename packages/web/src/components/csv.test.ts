import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('writes a header and rows, quoting what must be quoted', () => {
    expect(toCsv(['model', 'cost'], [['gpt-4o', 1.5], ['a "b", c', null], ['line\nbreak', 0]])).toBe(
      'model,cost\r\ngpt-4o,1.5\r\n"a ""b"", c",\r\n"line\nbreak",0\r\n',
    );
  });

  it('keeps a spreadsheet from running an uploaded label as a formula', () => {
    expect(toCsv(['user'], [['=HYPERLINK("x")'], ['+1'], ['-2'], ['@sum'], ['plain']])).toBe("user\r\n\"'=HYPERLINK(\"\"x\"\")\"\r\n'+1\r\n'-2\r\n'@sum\r\nplain\r\n");
    // Numbers stay numbers, negative ones included.
    expect(toCsv(['delta'], [[-2]])).toBe('delta\r\n-2\r\n');
  });
});
