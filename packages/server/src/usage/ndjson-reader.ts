import type { UsageRecord } from '@tally/protocol';
import { decodeText, readTextLines, type ChunkSource } from './text-lines.js';
import { validateUsageRecord } from './validate-usage-record.js';

export type { ChunkSource } from './text-lines.js';

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
export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

/**
 * Reads usage records in Tally's own NDJSON, one line at a time, in constant memory. Every
 * non-blank line yields either a valid record or an error with its 1-based line number, so one
 * bad line never stops the rest. Blank lines are skipped (they still count in the numbering); CRLF
 * line ends, a UTF-8 byte-order mark and a last line without a newline are accepted. (The
 * ingester reads every format, this one included, through `formats/`; this reader is the plain
 * one for code that wants Tally records only.)
 */
export async function* readUsageNdjson(source: ChunkSource, options: NdjsonReaderOptions = {}): AsyncGenerator<NdjsonLine> {
  for await (const line of readTextLines(decodeText(source), options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS)) {
    if ('error' in line) yield line;
    else yield parseLine(line.text, line.lineNumber, Number.POSITIVE_INFINITY) ?? { lineNumber: line.lineNumber, error: 'blank line' };
  }
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
  const checked = validateUsageRecord(value);
  return 'record' in checked ? { lineNumber, record: checked.record } : { lineNumber, error: checked.error };
}
