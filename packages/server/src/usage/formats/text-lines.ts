import type { Readable } from 'node:stream';

/** Chunks of UTF-8 bytes or text: a Node Readable (an HTTP body, a file), or a generator. */
export type ChunkSource = Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** A non-blank line without its line end (and, on line 1, without a byte-order mark), or why it was dropped. */
/** Longest line accepted unless a format says otherwise: no real usage record comes near it; a file without newlines does. */
export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

export type TextLine = { lineNumber: number; text: string } | { lineNumber: number; error: string };

/** Cuts text pushed in pieces into lines; `push` and `end` return the lines completed so far. */
export interface LineSplitter {
  push(text: string): TextLine[];
  end(): TextLine[];
}

/**
 * Splits text into numbered lines, in constant memory: a line longer than `maxLineChars` is
 * reported as an error and skipped up to its newline without being held. Blank lines are left out
 * (they still count in the numbering); CRLF line ends and a leading byte-order mark are accepted;
 * a last line without a newline is a line.
 */
export function createLineSplitter(maxLineChars: number): LineSplitter {
  let pending = '';
  let lineNumber = 0;
  // Set while discarding the rest of an over-long line, up to its newline.
  let skipping = false;
  const tooLong = (n: number): TextLine => ({ lineNumber: n, error: `line longer than ${maxLineChars} characters` });

  function take(raw: string, n: number, out: TextLine[]): void {
    let text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (isBlank(text)) return;
    if (text.length > maxLineChars) out.push(tooLong(n));
    else out.push({ lineNumber: n, text });
  }

  return {
    push(text) {
      const out: TextLine[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        lineNumber += 1;
        if (skipping) {
          skipping = false;
          out.push(tooLong(lineNumber));
        } else {
          take(pending === '' ? text.slice(start, nl) : pending + text.slice(start, nl), lineNumber, out);
        }
        pending = '';
        start = nl + 1;
      }
      if (skipping) return out;
      pending += text.slice(start);
      if (pending.length > maxLineChars) {
        skipping = true;
        pending = '';
      }
      return out;
    },
    end() {
      const out: TextLine[] = [];
      if (skipping) out.push(tooLong(lineNumber + 1));
      else if (pending !== '') take(pending, lineNumber + 1, out);
      pending = '';
      skipping = false;
      return out;
    },
  };
}

/** True for a line of spaces, tabs or nothing; the first character decides for almost every line. */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 32 && first < 127) return false;
  return text.trim() === '';
}

/** The non-blank lines of a text source, numbered. */
export async function* readTextLines(text: AsyncIterable<string>, maxLineChars: number): AsyncGenerator<TextLine> {
  const splitter = createLineSplitter(maxLineChars);
  for await (const piece of text) yield* splitter.push(piece);
  yield* splitter.end();
}
