import { parse, type CsvError, type Info } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { JsonUnit } from './json-documents.js';

/** Field separators recognised in a CSV header, in order of preference on a tie. */
const DELIMITERS = [',', ';', '\t'] as const;

/** The separator a CSV header line uses: the one that occurs most often outside quotes (`,` on a tie or none). */
export function guessDelimiter(headerLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best: string = ',';
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

/** True when a line has a CSV field separator outside quotes: a header of more than one column. */
export function looksLikeCsvHeader(line: string): boolean {
  const delimiter = guessDelimiter(line);
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === delimiter) return true;
  }
  return false;
}

/** The column names of a CSV header line, trimmed. */
export function parseCsvHeader(line: string, delimiter = guessDelimiter(line)): string[] {
  const rows = parseSync(line, { delimiter, bom: true, relax_quotes: true, relax_column_count: true }) as string[][];
  return (rows[0] ?? []).map((name) => name.trim());
}

/**
 * Reads CSV rows as objects keyed by the header's (trimmed) column names, streaming through
 * `csv-parse`: quoted fields may hold separators, quotes and newlines. Each row comes with the
 * line it starts on; a row the parser cannot read (a quote left open) is reported with its line
 * and the rows after it still come. Empty lines are skipped; rows with fewer or more cells than the
 * header are accepted (missing cells are absent, extra ones ignored).
 */
export async function* readCsvRows(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<JsonUnit> {
  const skipped: JsonUnit[] = [];
  const parser = parse({
    delimiter,
    bom: true,
    columns: (header: string[]) => header.map((name) => name.trim()),
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      const lineNumber = typeof error?.lines === 'number' ? error.lines : 0;
      skipped.push({ lineNumber, error: `invalid CSV: ${error?.message ?? 'unreadable row'}` });
      return undefined;
    },
  });
  let lastLine = 1;

  // The parser is synchronous: what a write completes can be read at once, so no stream plumbing
  // (and no buffering past one chunk) is needed.
  function drain(): JsonUnit[] {
    const out: JsonUnit[] = [];
    for (let item = parser.read() as { record: Record<string, string>; info: Info } | null; item !== null; item = parser.read() as typeof item) {
      const end = item.info.lines;
      // A row ends on `end`; it starts earlier only when a quoted cell holds newlines.
      const start = end - lastLine > 1 ? end - newlinesIn(item.record) : end;
      lastLine = end;
      out.push({ lineNumber: start, value: item.record });
    }
    if (skipped.length > 0) {
      out.push(...skipped.splice(0));
      out.sort((a, b) => a.lineNumber - b.lineNumber);
    }
    return out;
  }

  const failure: { error?: Error } = {};
  parser.on('error', (error: Error) => (failure.error = error));
  for await (const piece of text) {
    parser.write(piece);
    if (failure.error) throw failure.error;
    yield* drain();
  }
  parser.end();
  // Let the parser flush its last row.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (failure.error) throw failure.error;
  yield* drain();
}

function newlinesIn(record: Record<string, string>): number {
  let n = 0;
  for (const cell of Object.values(record)) {
    if (typeof cell !== 'string') continue;
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) n++;
  }
  return n;
}
