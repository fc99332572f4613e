import { CSV_MAPPING_FIELDS, UsageFormatsTriedSchema, type CsvMappingField, type UsageFormatName, type UsageFormatsTried } from '@tally/protocol';

/** What the format picker shows for each format the server reads (the names come from the protocol). */
export const FORMAT_LABELS: Readonly<Record<UsageFormatName, string>> = {
  tally: 'Tally NDJSON',
  openai: 'OpenAI responses / batch output',
  anthropic: 'Anthropic messages / batch results',
  litellm: 'LiteLLM spend logs',
  otel: 'OpenTelemetry GenAI spans',
  'claude-code': 'Claude Code session logs',
  codex: 'Codex CLI rollouts',
  'gemini-cli': 'Gemini CLI telemetry',
  cursor: 'Cursor usage CSV',
  bedrock: 'AWS Bedrock invocation logs',
  openrouter: 'OpenRouter generations / activity',
  langfuse: 'Langfuse observations',
  helicone: 'Helicone requests',
  csv: 'CSV with a column mapping',
};

/** What each record field means, for the column-mapping form. */
export const FIELD_LABELS: Readonly<Record<CsvMappingField, string>> = {
  id: 'Request id',
  ts: 'Time',
  provider: 'Provider',
  model: 'Model',
  project: 'Project',
  feature: 'Feature',
  user: 'User',
  inputTokens: 'Input tokens (uncached)',
  totalInputTokens: 'Input tokens (all, cache included)',
  outputTokens: 'Output tokens',
  cacheReadTokens: 'Cache read tokens',
  cacheWriteTokens: 'Cache write tokens (5 min)',
  cacheWrite1hTokens: 'Cache write tokens (1 hour)',
  reasoningTokens: 'Reasoning tokens',
  latencyMs: 'Latency (ms)',
  status: 'Status',
  interactive: 'Interactive',
  batch: 'Batch',
  maxOutputTokens: 'Max output tokens',
  promptPrefixHash: 'Prompt prefix hash',
  prefixTokens: 'Prefix tokens',
  attempt: 'Attempt',
  costUsd: 'Cost (USD)',
};

export const MAPPING_FIELDS = CSV_MAPPING_FIELDS;

/** The formats the server tried and its CSV header, from a USAGE_FORMAT_UNKNOWN error's details. */
export function formatsTriedOf(details: unknown): UsageFormatsTried | null {
  const parsed = UsageFormatsTriedSchema.safeParse(details);
  return parsed.success ? parsed.data : null;
}

/** What a mapping still lacks before the server can read rows with it; empty when it is complete. */
export function missingFields(mapping: Readonly<Record<string, string>>): string[] {
  const fields = new Set(Object.values(mapping));
  const missing: string[] = (['ts', 'model', 'outputTokens'] as const).filter((f) => !fields.has(f)).map((f) => FIELD_LABELS[f]);
  if (!fields.has('inputTokens') && !fields.has('totalInputTokens')) missing.push('Input tokens');
  return missing;
}

/** A CSV header line's column names (quoted names may hold the separator), for mapping before upload. */
export function csvHeaderOf(firstLine: string): string[] {
  const line = firstLine.replace(/^\uFEFF/, '').replace(/\r$/, '');
  const counts = [',', ';', '\t'].map((d) => [d, line.split(d).length] as const);
  const delimiter = counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const names: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === delimiter && !quoted) {
      names.push(current.trim());
      current = '';
    } else current += ch;
  }
  names.push(current.trim());
  return names.filter((n) => n !== '');
}
