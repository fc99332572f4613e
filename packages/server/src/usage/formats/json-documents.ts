/** A JSON value read from text, with the line it starts on, or why a piece of text is not one. */
export type JsonUnit = { lineNumber: number; value: unknown } | { lineNumber: number; error: string };

/** Cuts text pushed in pieces into JSON documents; `push` and `end` return the units completed so far. */
export interface JsonDocumentSplitter {
  push(text: string): JsonUnit[];
  end(): JsonUnit[];
}

const LF = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === LF || c === 0xfeff;
}

/**
 * Reads JSON documents that span lines (pretty-printed), one after another, in memory bounded by
 * the largest document. A top-level array is not held whole: each of its elements is a unit of
 * its own, so `[{…},{…},…]` of any length streams. Only the nesting depth and string state are
 * tracked until a document closes; then that document alone is parsed.
 *
 * A document longer than `maxChars` is reported and skipped without being held; text outside any
 * document is reported per line; a document still open at the end is reported at its first line.
 */
export function createJsonDocumentSplitter(maxChars: number): JsonDocumentSplitter {
  let line = 1;
  let mode: 'between' | 'doc' | 'garbage' = 'between';
  let inTopArray = false;
  let depth = 0;
  let inString = false;
  let escape = false;
  let startLine = 0;
  let parts: string[] = [];
  let size = 0;
  let tooLong = false;

  function finish(text: string, out: JsonUnit[]): void {
    if (tooLong) {
      out.push({ lineNumber: startLine, error: `JSON document longer than ${maxChars} characters` });
      return;
    }
    try {
      out.push({ lineNumber: startLine, value: JSON.parse(text) });
    } catch (err) {
      out.push({ lineNumber: startLine, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  return {
    push(text) {
      const out: JsonUnit[] = [];
      let docStart = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (mode === 'doc') {
          if (inString) {
            if (escape) escape = false;
            else if (c === BACKSLASH) escape = true;
            else if (c === QUOTE) inString = false;
          } else if (c === QUOTE) inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            depth--;
            if (depth === 0) {
              const tail = text.slice(docStart, i + 1);
              finish(parts.length === 0 ? tail : parts.join('') + tail, out);
              mode = 'between';
              parts = [];
              size = 0;
              tooLong = false;
            }
          }
          if (c === LF) line++;
          continue;
        }
        if (mode === 'garbage') {
          if (c === LF) {
            out.push({ lineNumber: startLine, error: 'invalid JSON: text outside a JSON document' });
            mode = 'between';
            line++;
          }
          continue;
        }
        // Between documents.
        if (isSpace(c)) {
          if (c === LF) line++;
        } else if (inTopArray && c === COMMA) {
          // The separator between two elements.
        } else if (inTopArray && c === CLOSE_BRACKET) {
          inTopArray = false;
        } else if (c === OPEN_BRACE || (inTopArray && c === OPEN_BRACKET)) {
          mode = 'doc';
          depth = 1;
          inString = false;
          escape = false;
          startLine = line;
          docStart = i;
        } else if (c === OPEN_BRACKET) {
          inTopArray = true;
        } else {
          mode = 'garbage';
          startLine = line;
        }
      }
      if (mode === 'doc') {
        const rest = text.slice(docStart);
        size += rest.length;
        if (size > maxChars) {
          // Keep tracking the depth to find its end, without holding the text.
          tooLong = true;
          parts = [];
        } else {
          parts.push(rest);
        }
      }
      return out;
    },
    end() {
      const out: JsonUnit[] = [];
      if (mode === 'doc') out.push({ lineNumber: startLine, error: 'invalid JSON: the document starting on this line never ends' });
      else if (mode === 'garbage') out.push({ lineNumber: startLine, error: 'invalid JSON: text outside a JSON document' });
      mode = 'between';
      parts = [];
      return out;
    },
  };
}
