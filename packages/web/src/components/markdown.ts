/**
 * A small markdown parser for agent answers: headings, paragraphs, lists, code blocks, block
 * quotes, rules and GFM tables; inline code, bold, italic and links; footnote marks (`$512.40[^1]`)
 * and their notes (`[^1]: why`), which the server's number check puts where the LLM wrote a figure the
 * analysis does not back (see the server's agents/number-check.ts). It produces a tree that
 * React renders as elements, so text is always escaped and no HTML from the answer reaches the
 * page. Streaming-safe: an unfinished construct renders as text until it is complete.
 */
export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] }
  /** A footnote mark right after what it flags; `text` is its label. */
  | { kind: 'flag'; text: string }
  | { kind: 'br' };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  /** `footnotes`: the notes of footnote marks, each item starting with its mark. */
  | { kind: 'list'; ordered: boolean; start: number; items: Inline[][]; footnotes?: true }
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'quote'; children: Inline[] }
  | { kind: 'rule' }
  | { kind: 'table'; align: Array<'left' | 'right' | 'center'>; head: Inline[][]; rows: Inline[][][] };

const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const FOOTNOTE = /^\[\^([\w-]{1,16})\]:\s+(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++; // closing fence (or end of a still-streaming answer)
      blocks.push({ kind: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = Math.min(4, heading[1]!.length) as 1 | 2 | 3 | 4;
      blocks.push({ kind: 'heading', level, children: parseInline(heading[2]!.replace(/\s+#+\s*$/, '')) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]!)) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]!).map((c) =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : 'left',
      ) as Array<'left' | 'right' | 'center'>;
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && lines[i]!.includes('|') && lines[i]!.trim()) {
        rows.push(splitRow(lines[i++]!).map(parseInline));
      }
      blocks.push({ kind: 'table', align, head: head.map(parseInline), rows });
      continue;
    }
    if (line.trimStart().startsWith('>')) {
      const body: string[] = [];
      while (i < lines.length && lines[i]!.trimStart().startsWith('>')) body.push(lines[i++]!.trimStart().replace(/^>\s?/, ''));
      blocks.push({ kind: 'quote', children: parseInline(body.join('\n')) });
      continue;
    }
    if (FOOTNOTE.test(line)) {
      const items: Inline[][] = [];
      for (let m = FOOTNOTE.exec(lines[i] ?? ''); m && i < lines.length; m = FOOTNOTE.exec(lines[++i] ?? '')) {
        items.push([{ kind: 'flag', text: m[1]! }, { kind: 'text', text: ' ' }, ...parseInline(m[2]!)]);
      }
      blocks.push({ kind: 'list', ordered: false, start: 1, items, footnotes: true });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      const isOrdered = !bullet;
      const pattern = isOrdered ? ORDERED : BULLET;
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = pattern.exec(l);
        if (m) items.push(isOrdered ? m[2]! : m[1]!);
        else if (l.trim() && /^\s{2,}/.test(l) && items.length) items[items.length - 1] += `\n${l.trim()}`;
        else break;
        i++;
      }
      blocks.push({ kind: 'list', ordered: isOrdered, start: isOrdered ? Number(ordered![1]) : 1, items: items.map(parseInline) });
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !startsBlock(lines[i]!, lines[i + 1])) body.push(lines[i++]!);
    if (!body.length) body.push(lines[i++]!);
    blocks.push({ kind: 'paragraph', children: parseInline(body.join('\n')) });
  }
  return blocks;
}

function startsBlock(line: string, next: string | undefined): boolean {
  return (
    HEADING.test(line) ||
    FENCE.test(line) ||
    RULE.test(line) ||
    BULLET.test(line) ||
    ORDERED.test(line) ||
    FOOTNOTE.test(line) ||
    line.trimStart().startsWith('>') ||
    (line.includes('|') && next !== undefined && TABLE_SEPARATOR.test(next))
  );
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Only these schemes become links; anything else (javascript:, data:) stays text. */
export function safeHref(href: string): string | null {
  const h = href.trim();
  return /^(https?:\/\/|mailto:)/i.test(h) ? h : null;
}

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer) out.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#|>-]/.test(text[i + 1]!)) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ kind: 'br' });
      i++;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ kind: 'code', text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    const strong = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest);
    if (strong) {
      flush();
      out.push({ kind: 'strong', children: parseInline(strong[2]!) });
      i += strong[0].length;
      continue;
    }
    const em = /^(\*|_)(?=\S)([\s\S]*?\S)\1(?!\1)/.exec(rest);
    if (em && (c === '*' || !/\w/.test(text[i - 1] ?? ''))) {
      flush();
      out.push({ kind: 'em', children: parseInline(em[2]!) });
      i += em[0].length;
      continue;
    }
    const flag = /^\[\^([\w-]{1,16})\]/.exec(rest);
    if (flag) {
      flush();
      out.push({ kind: 'flag', text: flag[1]! });
      i += flag[0].length;
      continue;
    }
    const link = /^\[([^\]\n]+)\]\(([^)\s]+)\)/.exec(rest);
    if (link) {
      const href = safeHref(link[2]!);
      flush();
      if (href) out.push({ kind: 'link', href, children: parseInline(link[1]!) });
      else out.push(...parseInline(link[1]!));
      i += link[0].length;
      continue;
    }
    const bare = /^https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/.exec(rest);
    if (bare && !/\w/.test(text[i - 1] ?? '')) {
      flush();
      out.push({ kind: 'link', href: bare[0], children: [{ kind: 'text', text: bare[0] }] });
      i += bare[0].length;
      continue;
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}
