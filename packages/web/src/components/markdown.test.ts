import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown.js';

describe('parseMarkdown', () => {
  it('parses headings, paragraphs and lists', () => {
    const blocks = parseMarkdown('# Spend\n\nMost goes to **gpt-4o**.\n\n- one\n- two `x`\n\n1. first\n2. second');
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'list']);
    expect(blocks[1]).toEqual({
      kind: 'paragraph',
      children: [{ kind: 'text', text: 'Most goes to ' }, { kind: 'strong', children: [{ kind: 'text', text: 'gpt-4o' }] }, { kind: 'text', text: '.' }],
    });
    expect(blocks[3]).toMatchObject({ kind: 'list', ordered: true, start: 1 });
  });

  it('parses a GFM table with alignment', () => {
    const [table] = parseMarkdown('| model | cost |\n|:---|---:|\n| gpt-4o | $12.00 |\n| mini | $1 |');
    expect(table).toMatchObject({ kind: 'table', align: ['left', 'right'] });
    expect(table?.kind === 'table' && table.rows.length).toBe(2);
  });

  it('keeps code blocks verbatim, even unfinished while streaming', () => {
    expect(parseMarkdown('```sql\nselect *\n```')).toEqual([{ kind: 'code', lang: 'sql', text: 'select *' }]);
    expect(parseMarkdown('```\n<b>x')).toEqual([{ kind: 'code', lang: '', text: '<b>x' }]);
  });

  it('never produces HTML: tags stay text', () => {
    const blocks = parseMarkdown('<img src=x onerror=alert(1)> hi');
    expect(blocks).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text: '<img src=x onerror=alert(1)> hi' }] }]);
  });
});

describe('parseInline', () => {
  it('makes links only of safe schemes', () => {
    expect(parseInline('[a](https://x.io)')).toEqual([{ kind: 'link', href: 'https://x.io', children: [{ kind: 'text', text: 'a' }] }]);
    expect(parseInline('[a](javascript:alert(1))')).toEqual([{ kind: 'text', text: 'a' }, { kind: 'text', text: ')' }]);
    expect(safeHref('data:text/html,x')).toBeNull();
  });

  it('handles emphasis, code and escapes', () => {
    expect(parseInline('*a* `b*c` \\*d')).toEqual([
      { kind: 'em', children: [{ kind: 'text', text: 'a' }] },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'b*c' },
      { kind: 'text', text: ' *d' },
    ]);
    expect(parseInline('snake_case_name')).toEqual([{ kind: 'text', text: 'snake_case_name' }]);
  });
});
