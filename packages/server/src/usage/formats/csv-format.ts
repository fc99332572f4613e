import { CSV_MAPPING_FIELDS } from '@tally/protocol';
import { AppError } from '../../app-error.js';
import { amountOf, asObject, countOf, isAbsent, isoTimeOf, stringOf } from './field-readers.js';
import { checkedItem, errorItem, type CsvMapping, type MappedItem, type UsageFormat, type UsageMapper } from './usage-format.js';

/**
 * The record fields a CSV column can fill (the protocol's list): Tally's own, plus
 * `totalInputTokens` for a column that counts ALL input (OpenAI's `prompt_tokens`): the cache
 * columns are subtracted from it.
 */
export const CSV_TARGETS = CSV_MAPPING_FIELDS;
export type CsvTarget = (typeof CSV_TARGETS)[number];

/**
 * Column names recognised without a mapping, compared lower-cased without spaces, `_` or `-`.
 * `input_tokens` means uncached input, as in Tally; `prompt_tokens` counts the cache too.
 */
const ALIASES: Readonly<Record<CsvTarget, readonly string[]>> = {
  id: ['id', 'requestid', 'callid', 'responseid'],
  ts: ['ts', 'timestamp', 'time', 'datetime', 'date', 'createdat', 'starttime', 'requesttime'],
  provider: ['provider', 'vendor'],
  model: ['model', 'modelname', 'modelid'],
  project: ['project', 'team', 'app', 'application'],
  feature: ['feature', 'usecase'],
  user: ['user', 'userid', 'enduser', 'customer'],
  inputTokens: ['inputtokens', 'uncachedinputtokens'],
  totalInputTokens: ['totalinputtokens', 'prompttokens'],
  outputTokens: ['outputtokens', 'completiontokens'],
  cacheReadTokens: ['cachereadtokens', 'cachereadinputtokens', 'cachedtokens', 'cachedinputtokens'],
  cacheWriteTokens: ['cachewritetokens', 'cachecreationinputtokens', 'cachecreationtokens'],
  cacheWrite1hTokens: ['cachewrite1htokens', 'cachewrite1h'],
  reasoningTokens: ['reasoningtokens'],
  latencyMs: ['latencyms', 'durationms', 'latency'],
  status: ['status'],
  interactive: ['interactive'],
  batch: ['batch'],
  maxOutputTokens: ['maxoutputtokens', 'maxtokens'],
  promptPrefixHash: ['promptprefixhash', 'prefixhash'],
  prefixTokens: ['prefixtokens'],
  attempt: ['attempt'],
  costUsd: ['costusd', 'cost', 'spend'],
};

const ALIAS_TARGET = new Map<string, CsvTarget>(CSV_TARGETS.flatMap((t) => ALIASES[t].map((alias) => [alias, t] as const)));

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.]+/g, '');
}

export type CsvColumns = ReadonlyArray<{ column: string; target: CsvTarget }>;

/**
 * Which column fills which field: the user's mapping first, then the recognised names for fields
 * still unfilled. Returns the columns, or what is wrong with the mapping or the header.
 */
export function resolveCsvColumns(header: readonly string[], mapping: CsvMapping = {}): { columns: CsvColumns } | { error: string } {
  const columns: Array<{ column: string; target: CsvTarget }> = [];
  const taken = new Set<CsvTarget>();
  const problems: string[] = [];
  for (const [column, target] of Object.entries(mapping)) {
    if (!header.includes(column)) problems.push(`the mapping names a column "${column}" that the header does not have`);
    else if (!(CSV_TARGETS as readonly string[]).includes(target)) problems.push(`"${column}" maps to "${target}", which is not a field (fields: ${CSV_TARGETS.join(', ')})`);
    else if (taken.has(target as CsvTarget)) problems.push(`two columns map to "${target}"`);
    else {
      columns.push({ column, target: target as CsvTarget });
      taken.add(target as CsvTarget);
    }
  }
  for (const column of header) {
    if (column in mapping) continue;
    const target = ALIAS_TARGET.get(normalizeName(column));
    if (target && !taken.has(target)) {
      columns.push({ column, target });
      taken.add(target);
    }
  }
  if (taken.has('inputTokens') && taken.has('totalInputTokens')) problems.push('map either inputTokens (uncached) or totalInputTokens (all input), not both');
  const missing: string[] = (['ts', 'model', 'outputTokens'] as const).filter((t) => !taken.has(t));
  if (!taken.has('inputTokens') && !taken.has('totalInputTokens')) missing.push('inputTokens (or totalInputTokens)');
  if (missing.length > 0) problems.push(`no column for ${missing.join(', ')} (header: ${header.join(', ')})`);
  return problems.length > 0 ? { error: problems.join('; ') } : { columns };
}

/**
 * CSV with a header row and a column mapping (`?mapping=` / `--mapping file.json`, a JSON object
 * from column name to record field). Without a mapping, columns named like Tally's fields or their
 * common names (timestamp, prompt_tokens, completion_tokens, cost, …) are recognised. Times may be
 * ISO (no zone = UTC) or epoch seconds/ms/µs/ns; booleans true/false/1/0/yes/no; status
 * ok/success/error/failure/timeout or an HTTP code.
 */
export const csvFormat: UsageFormat = {
  name: 'csv',
  title: 'CSV with a header row and a column mapping',
  framings: ['csv'],
  detect(sample) {
    if (!sample.csvHeader) return 0;
    // The CSV fallback: sure when the header names every needed field, else still the best guess.
    return 'columns' in resolveCsvColumns(sample.csvHeader) ? 0.6 : 0.3;
  },
  createMapper({ csvHeader, mapping }) {
    const resolved = resolveCsvColumns(csvHeader ?? [], mapping);
    if ('error' in resolved) throw new AppError('VALIDATION_FAILED', `CSV columns: ${resolved.error}. Pass a mapping from column to field, e.g. ?mapping={"Time":"ts","Model":"model"}.`);
    return createCsvMapper(resolved.columns);
  },
};

/** Maps CSV rows (objects keyed by column name) through resolved columns. */
export function createCsvMapper(columns: CsvColumns): UsageMapper {
  return {
    map(unit, lineNumber): readonly MappedItem[] {
      const row = asObject(unit);
      if (!row) return [errorItem(lineNumber, 'expected a CSV row')];
      const problems: string[] = [];
      const fields: Partial<Record<CsvTarget, unknown>> = {};
      for (const { column, target } of columns) {
        const cell = row[column];
        if (isAbsent(cell)) continue;
        const value = readCell(target, cell, column, problems);
        if (value !== undefined) fields[target] = value;
      }
      if (problems.length > 0) return [errorItem(lineNumber, problems.join('; '))];
      const { totalInputTokens, ...record } = fields;
      if (typeof totalInputTokens === 'number') {
        const cached = [record.cacheReadTokens, record.cacheWriteTokens, record.cacheWrite1hTokens].reduce<number>((sum, v) => sum + (typeof v === 'number' ? v : 0), 0);
        if (cached > totalInputTokens) return [errorItem(lineNumber, `cache tokens (${cached}) exceed the total input (${totalInputTokens}) that includes them`)];
        record.inputTokens = totalInputTokens - cached;
      }
      return [checkedItem(lineNumber, record)];
    },
    flush: () => [],
  };
}

function readCell(target: CsvTarget, cell: unknown, column: string, problems: string[]): unknown {
  switch (target) {
    case 'id':
    case 'provider':
    case 'model':
    case 'project':
    case 'feature':
    case 'user':
    case 'promptPrefixHash':
      return stringOf(cell)?.trim();
    case 'ts': {
      const ts = isoTimeOf(cell);
      if (ts === null) problems.push(`${column}: not a time: ${JSON.stringify(cell)}`);
      return ts ?? undefined;
    }
    case 'inputTokens':
    case 'totalInputTokens':
    case 'outputTokens':
    case 'cacheReadTokens':
    case 'cacheWriteTokens':
    case 'cacheWrite1hTokens':
    case 'reasoningTokens':
    case 'maxOutputTokens':
    case 'prefixTokens':
    case 'attempt':
      return countOf(cell, column, problems);
    case 'latencyMs':
    case 'costUsd':
      return amountOf(cell, column, problems);
    case 'interactive':
    case 'batch':
      return booleanOf(cell, column, problems);
    case 'status':
      return statusOf(cell, column, problems);
    default: {
      const never: never = target;
      throw new Error(`unhandled CSV target ${String(never)}`);
    }
  }
}

function booleanOf(cell: unknown, column: string, problems: string[]): boolean | undefined {
  if (typeof cell === 'boolean') return cell;
  const text = String(cell).trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 't'].includes(text)) return true;
  if (['false', '0', 'no', 'n', 'f'].includes(text)) return false;
  problems.push(`${column}: expected true or false, got ${JSON.stringify(cell)}`);
  return undefined;
}

function statusOf(cell: unknown, column: string, problems: string[]): 'ok' | 'error' | 'timeout' | undefined {
  const text = String(cell).trim().toLowerCase();
  if (/^(ok|success|succeeded|completed|2\d\d)$/.test(text)) return 'ok';
  if (/^(timeout|timed[_ ]?out|408|504)$/.test(text)) return 'timeout';
  if (/^(error|failure|failed|cancelled|canceled|[45]\d\d)$/.test(text)) return 'error';
  problems.push(`${column}: expected ok, error or timeout, got ${JSON.stringify(cell)}`);
  return undefined;
}
