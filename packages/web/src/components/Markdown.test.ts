import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown.js';
import { safeHref } from './safe-href.js';
import { showableStreamedMarkdown } from './streamed-markdown.js';

const html = (source: string, streaming = false) => renderToStaticMarkup(createElement(Markdown, { source, streaming }));

describe('Markdown (react-markdown + GFM)', () => {
  it('renders headings under the card, paragraphs, lists and GFM tables (in a scrolling box)', () => {
    const out = html('# Spend\n\nMost goes to **gpt-4o**.\n\n- one\n- two `x`\n\n3. first\n4. second\n\n| model | cost |\n|:---|---:|\n| gpt-4o | $12.00 |');
    expect(out).toContain('<h3>Spend</h3>');
    expect(out).toContain('<p>Most goes to <strong>gpt-4o</strong>.</p>');
    expect(out).toContain('<li>two <code>x</code></li>');
    expect(out).toContain('<ol start="3">');
    expect(out).toMatch(/<div class="table-scroll"><table><thead><tr><th style="text-align:left">model<\/th><th style="text-align:right">cost<\/th>/);
  });

  it('shows number-check marks as flags where they stand and their notes as one list after the answer', () => {
    const out = html('Save $512.40[^1] now.\n\n[^1]: 512.40 is not in **the** facts.\n[^2]: second');
    expect(out).toContain('Save $512.40<sup class="answer-flag" title="Not backed by Tally&#x27;s analysis as written: see the note below the answer">1</sup> now.');
    expect(out.replace(/\n/g, '')).toContain('<ul class="answer-notes" aria-label="Checked figures"><li><sup class="answer-flag"');
    expect(out).toContain('</sup> 512.40 is not in <strong>the</strong> facts.</li>');
    expect(out).not.toContain('href="#');
  });

  it('opens only http(s) and mailto links, in a new tab without an opener; others stay text', () => {
    const out = html('[a](https://x.io) [b](javascript:alert(1)) [c](data:text/html,x) <https://y.io>');
    expect(out).toContain('<a href="https://x.io" target="_blank" rel="noopener noreferrer nofollow">a</a>');
    expect(out).toContain('<span>b</span>');
    expect(out).toContain('<span>c</span>');
    expect(out).not.toMatch(/javascript:|data:text/);
    expect(safeHref(' JavaScript:alert(1)')).toBeNull();
  });

  it('never produces HTML from the answer: tags stay text', () => {
    const out = html('<img src=x onerror=alert(1)> hi\n\n<script>alert(1)</script>');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt; hi');
  });
});

describe('showableStreamedMarkdown', () => {
  it('holds back a list marker whose item has not arrived (no empty "1.")', () => {
    // Rendered as it stands, the marker is an empty item: what a streaming answer must not flash.
    expect(html('Steps:\n\n1. cache the prompt\n2.')).toMatch(/<li><\/li>/);
    expect(html('Steps:\n\n1. cache the prompt\n2.', true)).not.toMatch(/<li>\s*<\/li>/);
    expect(html('Steps:\n\n1.', true)).not.toContain('<ol');
    expect(html('Steps:\n\n- a\n-', true)).not.toMatch(/<li>\s*<\/li>/);
    expect(showableStreamedMarkdown('Costs:\n\n1. gpt-4o')).toBe('Costs:\n\n1. gpt-4o');
  });

  it('closes unfinished emphasis and code, and shows an unfinished link as text', () => {
    expect(html('Hello **wor', true)).toContain('<strong>wor</strong>');
    expect(html('run `select', true)).toContain('<code>select</code>');
    const link = html('see [the docs](https://exa', true);
    expect(link).toContain('the docs');
    expect(link).not.toContain('<a ');
  });

  it('changes nothing of a finished answer', () => {
    const done = '# Spend\n\n- **gpt-4o**: $12\n- `mini`: $1\n';
    expect(html(done, true)).toBe(html(done));
  });
});
