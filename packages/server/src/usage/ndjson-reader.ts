import type { Readable } from 'node:stream';
import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';

/** Chunks of UTF-8 bytes or text: a Node Readable (an HTTP body, a file), or a generator. */
export type ChunkSource = Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export type NdjsonLine =
  | { lineNumber: number; record: UsageRecord }
  | { lineNumber: number; error: string };

export interface NdjsonReaderOptions {
  /**
   * Longest line accepted, in characters. A longer line is reported as an error and skipped up to
   * its newline without being held, so memory stays bounded whatever the input.
   */
  maxLineChars?: number;
}

/** No real usage record comes near this; a file without newlines does. */
const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

/**
 * Reads usage records from NDJSON, one line at a time, in constant memory. Every non-blank line
 * yields either a valid record or an error with its 1-based line number, so one bad line never
 * stops the rest. Blank lines are skipped (they still count in the numbering); CRLF line ends, a
 * UTF-8 byte-order mark and a last line without a newline are accepted.
 */
export async function* readUsageNdjson(source: ChunkSource, options: NdjsonReaderOptions = {}): AsyncGenerator<NdjsonLine> {
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  // `stream: true` keeps a multi-byte character split across chunks whole.
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let lineNumber = 0;
  // Set while discarding the rest of an over-long line, up to its newline.
  let skipping = false;
  const tooLong = (n: number): NdjsonLine => ({ lineNumber: n, error: `line longer than ${maxLineChars} characters` });

  function* takeLines(text: string): Generator<NdjsonLine> {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      lineNumber += 1;
      if (skipping) {
        skipping = false;
        yield tooLong(lineNumber);
      } else {
        const parsed = parseLine(pending + text.slice(start, nl), lineNumber, maxLineChars);
        if (parsed) yield parsed;
      }
      pending = '';
      start = nl + 1;
    }
    if (skipping) return;
    pending += text.slice(start);
    if (pending.length > maxLineChars) {
      skipping = true;
      pending = '';
    }
  }

  for await (const chunk of source as AsyncIterable<unknown>) {
    yield* takeLines(decodeChunk(decoder, chunk));
  }
  yield* takeLines(decoder.decode());
  // The last line may have no newline.
  if (skipping) {
    yield tooLong(lineNumber + 1);
  } else if (pending !== '') {
    const parsed = parseLine(pending, lineNumber + 1, maxLineChars);
    if (parsed) yield parsed;
  }
}

function decodeChunk(decoder: TextDecoder, chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return decoder.decode(chunk, { stream: true });
  throw new TypeError(`NDJSON source yielded ${typeof chunk}, expected bytes or text`);
}

/** Parses one line; null for a blank line. */
export function parseLine(raw: string, lineNumber: number, maxLineChars = DEFAULT_MAX_LINE_CHARS): NdjsonLine | null {
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (lineNumber === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
  if (line.trim() === '') return null;
  if (line.length > maxLineChars) return { lineNumber, error: `line longer than ${maxLineChars} characters` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { lineNumber, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const result = UsageRecordSchema.safeParse(value);
  if (result.success) return { lineNumber, record: result.data };
  // The first few issues, each with its field path, are enough to fix a line.
  const reasons = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return { lineNumber, error: reasons.join('; ') };
}
