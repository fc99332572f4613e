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

  it('parses footnote marks where they stand and their notes as a list of notes', () => {
    const blocks = parseMarkdown("Save $512.40[^1] now.\n\n[^1]: 512.40 is not in **the** facts.\n[^2]: second");
    expect(blocks[0]).toEqual({ kind: 'paragraph', children: [{ kind: 'text', text: 'Save $512.40' }, { kind: 'flag', text: '1' }, { kind: 'text', text: ' now.' }] });
    expect(blocks[1]).toEqual({
      kind: 'list',
      ordered: false,
      start: 1,
      footnotes: true,
      items: [
        [{ kind: 'flag', text: '1' }, { kind: 'text', text: ' ' }, { kind: 'text', text: '512.40 is not in ' }, { kind: 'strong', children: [{ kind: 'text', text: 'the' }] }, { kind: 'text', text: ' facts.' }],
        [{ kind: 'flag', text: '2' }, { kind: 'text', text: ' ' }, { kind: 'text', text: 'second' }],
      ],
    });
    // A link is still a link; an unfinished mark while streaming stays text.
    expect(parseInline('[a](https://x.io) [^')).toEqual([{ kind: 'link', href: 'https://x.io', children: [{ kind: 'text', text: 'a' }] }, { kind: 'text', text: ' [^' }]);
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
