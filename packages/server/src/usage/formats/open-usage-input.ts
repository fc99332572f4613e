import { DEFAULT_MAX_LINE_CHARS, readTextLines } from './text-lines.js';
import { guessDelimiter, parseCsvHeader, readCsvRows } from './csv-rows.js';
import { AppError } from '../../app-error.js';
import { detectUsageFormat, sampleUsageText, USAGE_FORMATS, usageFormatByName, type UsageSample } from './detect-format.js';
import { formatsTried } from './formats-tried.js';
import { createJsonDocumentSplitter, type JsonUnit } from './json-documents.js';
import type { CsvMapping, Framing, UsageFormat, UsageFormatName, UsageMapper } from './usage-format.js';

/** Text read before detection: 20 lines or 64 KiB, whichever comes first, enough for any format. */
const SAMPLE_LINES = 20;
const SAMPLE_CHARS = 64 * 1024;
/** More is read only to complete a first line this long (an OTLP batch on one line). */
const MAX_SAMPLE_CHARS = 32 * 1024 * 1024;

export interface UsageInputOptions {
  /** The format, when the caller knows it; detected from the content otherwise. */
  format?: UsageFormatName;
  /** CSV column → record field. */
  mapping?: CsvMapping;
}

/** A text opened for ingestion: its format, a mapper for it, and its units (JSON values or CSV rows). */
export interface UsageInput {
  format: UsageFormat;
  framing: Framing;
  mapper: UsageMapper;
  units: AsyncGenerator<JsonUnit>;
}

/**
 * Reads the start of a text (20 lines or 64 KiB, or up to the end of its first line), detects its format
 * unless one is given, and hands back the whole text, that start included, cut into units for the
 * format's mapper. Memory stays bounded by the sample and the longest unit.
 */
export async function openUsageInput(text: AsyncIterable<string>, options: UsageInputOptions = {}): Promise<UsageInput> {
  const iterator = text[Symbol.asyncIterator]();
  const parts: string[] = [];
  let size = 0;
  let newlines = 0;
  let ended = false;
  // Stop early enough that a slow source starts storing soon, late enough to see whole lines.
  while (newlines < SAMPLE_LINES && size < MAX_SAMPLE_CHARS && !(size >= SAMPLE_CHARS && newlines > 0)) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    parts.push(next.value);
    size += next.value.length;
    for (let i = next.value.indexOf('\n'); i !== -1 && newlines < SAMPLE_LINES; i = next.value.indexOf('\n', i + 1)) newlines++;
  }
  let head = parts.join('');
  let sample = sampleUsageText(head, ended);
  // Pretty-printed JSON: 20 lines may not finish the first document (a telemetry record spans
  // dozens); read on, up to 64 KiB, until one is whole.
  while (!ended && sample.framing === 'json' && sample.jsonLayout === 'documents' && sample.values.length === 0 && size < SAMPLE_CHARS) {
    const next = await iterator.next();
    if (next.done) ended = true;
    else {
      parts.push(next.value);
      size += next.value.length;
      if (!next.value.includes('\n')) continue;
    }
    head = parts.join('');
    sample = sampleUsageText(head, ended);
  }
  const format = options.format ? usageFormatByName(options.format) : detectOrRefuse(sample, options);
  const framing = format.framings.includes(sample.framing) ? sample.framing : (format.framings[0] ?? 'json');
  const csvHeader = framing === 'csv' ? (sample.csvHeader ?? parseCsvHeader(sample.lines[0] ?? '')) : undefined;
  const mapper = format.createMapper({ csvHeader, mapping: options.mapping });

  async function* all(): AsyncGenerator<string> {
    if (head !== '') yield head;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { format, framing, mapper, units: unitsOf(all(), framing, sample, format.maxUnitChars ?? DEFAULT_MAX_LINE_CHARS) };
}

/**
 * The detected format; when none fits, a USAGE_FORMAT_UNKNOWN error naming every format tried and
 * why it did not fit, before anything is stored: a CSV header no format knows (without a mapping),
 * or well-formed JSON of a shape none knows. Content with lines that are not JSON falls back to
 * Tally's format, whose per-line errors say what is wrong with each.
 */
function detectOrRefuse(sample: UsageSample, options: UsageInputOptions): UsageFormat {
  const detected = detectUsageFormat(sample, options);
  if (detected.confidence > 0) return detected.format;
  const unknownCsv = sample.framing === 'csv' && !options.mapping;
  const unknownJson = sample.framing === 'json' && sample.values.length > 0 && (sample.jsonLayout === 'documents' || sample.lines.every((l) => isJsonLine(l)));
  if (!unknownCsv && !unknownJson) return detected.format;
  const details = formatsTried(sample, USAGE_FORMATS);
  const what = unknownCsv ? `a CSV with the columns ${(sample.csvHeader ?? []).join(', ')}` : 'JSON of a shape no format knows';
  throw new AppError(
    'USAGE_FORMAT_UNKNOWN',
    `No usage format fits ${what}. ${details.tried.map((t) => `${t.format}: ${t.reason}`).join('. ')}.${unknownCsv ? ' Map its columns to record fields (mapping), or pick a format.' : ' Pick a format, or convert the file to Tally\'s NDJSON.'}`,
    details,
  );
}

function isJsonLine(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object';
  } catch {
    return false;
  }
}

function unitsOf(text: AsyncIterable<string>, framing: Framing, sample: UsageSample, maxChars: number): AsyncGenerator<JsonUnit> {
  if (framing === 'csv') return readCsvRows(text, guessDelimiter(sample.lines[0] ?? ''));
  return sample.jsonLayout === 'documents' ? readJsonDocuments(text, maxChars) : readJsonLines(text, maxChars);
}

/** One JSON value per non-blank line; a line holding an array yields its elements. */
export async function* readJsonLines(text: AsyncIterable<string>, maxLineChars: number): AsyncGenerator<JsonUnit> {
  for await (const line of readTextLines(text, maxLineChars)) {
    if ('error' in line) {
      yield line;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (err) {
      yield { lineNumber: line.lineNumber, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
      continue;
    }
    if (Array.isArray(value)) for (const element of value) yield { lineNumber: line.lineNumber, value: element };
    else yield { lineNumber: line.lineNumber, value };
  }
}

/** JSON documents spread over lines, each with the line it starts on. */
export async function* readJsonDocuments(text: AsyncIterable<string>, maxChars: number): AsyncGenerator<JsonUnit> {
  const splitter = createJsonDocumentSplitter(maxChars);
  for await (const piece of text) yield* splitter.push(piece);
  yield* splitter.end();
}
