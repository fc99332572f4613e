import { createLineSplitter } from './text-lines.js';
import { anthropicFormat } from './anthropic-format.js';
import { bedrockFormat } from './bedrock-format.js';
import { claudeCodeFormat } from './claude-code-format.js';
import { codexFormat } from './codex-format.js';
import { csvFormat } from './csv-format.js';
import { cursorFormat } from './cursor-format.js';
import { geminiCliFormat } from './gemini-cli-format.js';
import { heliconeFormat } from './helicone-format.js';
import { langfuseFormat } from './langfuse-format.js';
import { looksLikeCsvHeader, parseCsvHeader } from './csv-rows.js';
import { createJsonDocumentSplitter } from './json-documents.js';
import { litellmFormat } from './litellm-format.js';
import { openaiFormat } from './openai-format.js';
import { openrouterFormat } from './openrouter-format.js';
import { otelFormat } from './otel-format.js';
import { tallyFormat } from './tally-format.js';
import type { CsvMapping, FormatSample, UsageFormat, UsageFormatName } from './usage-format.js';

/** Every format Tally reads. */
export const USAGE_FORMATS: readonly UsageFormat[] = [
  tallyFormat,
  openaiFormat,
  anthropicFormat,
  litellmFormat,
  otelFormat,
  claudeCodeFormat,
  codexFormat,
  geminiCliFormat,
  cursorFormat,
  bedrockFormat,
  openrouterFormat,
  langfuseFormat,
  heliconeFormat,
  csvFormat,
];

export function usageFormatByName(name: UsageFormatName): UsageFormat {
  const format = USAGE_FORMATS.find((f) => f.name === name);
  if (!format) throw new Error(`no usage format named ${name}`);
  return format;
}

/** Non-blank lines detection looks at. */
const SAMPLE_LINES = 20;

/**
 * How JSON content is laid out: one value per line (JSON lines, the common case, where a bad line
 * never affects the next), or documents spread over lines (pretty-printed), cut by bracket depth.
 */
export type JsonLayout = 'lines' | 'documents';

export interface UsageSample extends FormatSample {
  readonly jsonLayout: JsonLayout;
}

/**
 * What detection needs from the start of a text: its first non-blank lines, whether it is JSON or
 * CSV, and its first JSON values (or CSV header). `ended` says the head is the whole text.
 */
export function sampleUsageText(head: string, ended: boolean): UsageSample {
  const splitter = createLineSplitter(Number.POSITIVE_INFINITY);
  const lines: string[] = [];
  for (const line of [...splitter.push(head), ...(ended ? splitter.end() : [])]) {
    if ('text' in line) lines.push(line.text);
    if (lines.length >= SAMPLE_LINES) break;
  }
  const first = lines[0];
  const jsonLike = lines.some((l) => /^\s*[{[]/.test(l));
  if (!jsonLike && first !== undefined && looksLikeCsvHeader(first)) {
    return { framing: 'csv', jsonLayout: 'lines', lines, values: [], csvHeader: parseCsvHeader(first), head };
  }
  const values: unknown[] = [];
  for (const line of lines) {
    const value = parseJson(line);
    if (Array.isArray(value) ? value.length > 0 : value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
      values.push(...(Array.isArray(value) ? value.slice(0, SAMPLE_LINES) : [value]));
    }
  }
  if (values.length > 0 || first === undefined || !/^\s*[{[]/.test(first)) return { framing: 'json', jsonLayout: 'lines', lines, values, head };
  // No line is JSON on its own, yet the text opens with a bracket: pretty-printed documents.
  const documents = createJsonDocumentSplitter(Number.POSITIVE_INFINITY);
  for (const unit of [...documents.push(head), ...(ended ? documents.end() : [])]) {
    if ('value' in unit) values.push(unit.value);
    if (values.length >= SAMPLE_LINES) break;
  }
  return { framing: 'json', jsonLayout: 'documents', lines, values, head };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface DetectOptions {
  /** A CSV column mapping was given: CSV content is then the generic CSV format. */
  mapping?: CsvMapping;
}

/**
 * The format of a sample: the format that is most confident (at least 0.5) among those that come
 * in the sample's framing. Otherwise JSON falls back to Tally's own format (whose errors name the
 * fields a line lacks) and CSV to the generic CSV format (whose error names the columns it lacks).
 */
export function detectUsageFormat(sample: FormatSample, options: DetectOptions = {}): { format: UsageFormat; confidence: number } {
  if (sample.framing === 'csv' && options.mapping) return { format: csvFormat, confidence: 1 };
  let best: { format: UsageFormat; confidence: number } | undefined;
  for (const format of USAGE_FORMATS) {
    if (!format.framings.includes(sample.framing)) continue;
    const confidence = format.detect(sample);
    if (confidence >= 0.5 && (!best || confidence > best.confidence)) best = { format, confidence };
  }
  return best ?? { format: sample.framing === 'csv' ? csvFormat : tallyFormat, confidence: 0 };
}
