import { USAGE_FORMAT_NAMES, type UsageFormatName, type UsageRecord } from '@tally/protocol';
import { validateUsageRecord } from '../validate-usage-record.js';

/** The formats Tally reads, by the name used in `?format=` and `--format` (defined in the protocol). */
export { USAGE_FORMAT_NAMES, type UsageFormatName };

export function isUsageFormatName(value: string): value is UsageFormatName {
  return (USAGE_FORMAT_NAMES as readonly string[]).includes(value);
}

/**
 * How a text is cut into units before a format maps them: JSON values (one per line, or
 * documents spread over lines) or CSV rows (objects keyed by the header's column names).
 */
export type Framing = 'json' | 'csv';

/**
 * CSV column → record field, as given in `?mapping=` / `--mapping file.json`, e.g.
 * `{"Time": "ts", "Model name": "model", "Prompt": "totalInputTokens"}`. Bedrock logs read it as
 * application inference profile → model.
 */
export type CsvMapping = Readonly<Record<string, string>>;

/** What detection sees of the content: its start, read before anything is stored. */
export interface FormatSample {
  /** `json` when the first lines hold JSON (objects or arrays), `csv` when they look like a CSV header. */
  readonly framing: Framing;
  /** The first non-blank lines (at most 20), without line ends or a byte-order mark. */
  readonly lines: readonly string[];
  /**
   * The first JSON values of the content, in order: parsed per line for JSON lines, or per
   * document for pretty-printed JSON; the elements of a top-level array count as values.
   */
  readonly values: readonly unknown[];
  /** The CSV header's column names, when `framing` is `csv`. */
  readonly csvHeader?: readonly string[];
  /** The start of the text (at most 64 KiB), for a format recognisable before its first value ends. */
  readonly head: string;
}

/** One unit mapped: a record checked against the schema (defaults applied), or why not. */
export type MappedItem =
  | { readonly lineNumber: number; readonly record: UsageRecord }
  | { readonly lineNumber: number; readonly error: string };

/**
 * Maps the units of one ingest to records. It may hold bounded state across units (Claude Code
 * keeps a window of recent messages to merge their repeated lines), never the whole input.
 */
export interface UsageMapper {
  /**
   * Maps one unit: a parsed JSON value, or a CSV row keyed by column name. A unit that holds no
   * usage (a user line of a session log, a span without token counts) maps to nothing.
   */
  map(unit: unknown, lineNumber: number): readonly MappedItem[];
  /** The input ended: whatever was held back. */
  flush(): readonly MappedItem[];
}

export interface MapperOptions {
  /** The CSV header, for CSV framing. */
  csvHeader?: readonly string[];
  /** A CSV column mapping given by the user. */
  mapping?: CsvMapping;
}

/**
 * A usage format: how to recognise it from the start of a file and how to map its units to
 * Tally's normalized records (shared/FORMATS.md has every field). One file per format beside this.
 */
export interface UsageFormat {
  readonly name: UsageFormatName;
  /** One line for people: what files this is. */
  readonly title: string;
  /** The framings this format comes in. */
  readonly framings: readonly Framing[];
  /** Longest line or document accepted, in characters, when not the default 1 MiB. */
  readonly maxUnitChars?: number;
  /**
   * Confidence in [0, 1] that the sample is this format: about 0.9+ for a shape only this format
   * has, 0.5-0.8 for a likely one, 0 for no. The highest wins; below 0.5, Tally's own format.
   */
  detect(sample: FormatSample): number;
  /** A mapper for one ingest. May throw an AppError (VALIDATION_FAILED) for bad options. */
  createMapper(options: MapperOptions): UsageMapper;
}

/** The empty result of a unit that holds no usage, shared so skipping allocates nothing. */
export const NOTHING: readonly MappedItem[] = Object.freeze([]);

/**
 * A candidate record (a mapper's `UsageRecordInput`, or a Tally line as read) checked against the
 * schema: the record with defaults applied, or the schema's reason with its field path.
 */
export function checkedItem(lineNumber: number, candidate: unknown): MappedItem {
  const checked = validateUsageRecord(candidate);
  return 'record' in checked ? { lineNumber, record: checked.record } : { lineNumber, error: checked.error };
}

/** An error item. */
export function errorItem(lineNumber: number, error: string): MappedItem {
  return { lineNumber, error };
}

/**
 * A format is as recognisable as its most typical sampled value: the best score `score` gives
 * any of the sample's JSON objects.
 */
export function bestObjectScore(sample: FormatSample, score: (o: Record<string, unknown>) => number): number {
  let best = 0;
  for (const value of sample.values) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) best = Math.max(best, score(value as Record<string, unknown>));
  }
  return best;
}

/** A mapper that keeps nothing between lines: each line maps on its own. */
export function statelessMapper(map: UsageMapper['map']): () => UsageMapper {
  return () => ({ map, flush: () => NOTHING });
}
