import type { UsageFormatsTried } from '@tally/protocol';
import { resolveCsvColumns } from './csv-format.js';
import type { FormatSample, UsageFormat, UsageFormatName } from './usage-format.js';

/** What each format looks for at the start of a file, for the error that says why none fitted. */
export const FORMAT_SIGNATURES: Readonly<Record<UsageFormatName, string>> = {
  tally: 'records with `ts`, `model` and `inputTokens`/`outputTokens`',
  openai: 'Chat Completions or Responses API objects (`object`, `usage.prompt_tokens` or `usage.input_tokens`) or Batch output lines (`custom_id` with `response`)',
  anthropic: 'Messages API responses (`type: "message"` with `usage`) or Message Batches results (`custom_id` with `result`)',
  litellm: 'SpendLogs rows (`request_id`, `prompt_tokens`, `completion_tokens` with `spend`, `call_type` or `startTime`)',
  otel: 'OTLP/JSON trace exports (`resourceSpans`)',
  'claude-code': 'Claude Code session lines (`sessionId`, `type`, `uuid`)',
  codex: 'Codex rollout lines (`timestamp`, `type`, `payload`: `session_meta`, `turn_context`, `event_msg` token counts)',
  'gemini-cli': 'Gemini CLI telemetry records (`event.name` `gemini_cli.*`, or `resourceLogs` from gemini-cli)',
  cursor: 'a Cursor export header (`Input (w/ Cache Write)`, `Input (w/o Cache Write)`, `Cache Read`)',
  bedrock: 'Bedrock invocation logs (`schemaType: "ModelInvocationLog"`)',
  openrouter: 'OpenRouter generations (`native_tokens_prompt`, or `tokens_prompt` with `total_cost`), activity rows (`model_permaslug`, `requests`), or a CSV with `generation_id`',
  langfuse: 'Langfuse observations (`traceId`, `type`, `usageDetails`)',
  helicone: 'Helicone requests (`request_id` with `request_created_at`, `delay_ms` or `costUSD`)',
  csv: 'a CSV header with columns for the time, model, input and output tokens, or a column mapping',
};

/**
 * Every format and why it does not fit a sample: it reads the other framing (CSV or JSON), or what
 * it looks for is not in the first values (with its best confidence when it saw something close).
 */
export function formatsTried(sample: FormatSample, formats: readonly UsageFormat[]): UsageFormatsTried {
  const kind = sample.framing === 'csv' ? 'CSV' : 'JSON';
  const seen = sample.framing === 'csv' ? `the header (${(sample.csvHeader ?? []).join(', ')})` : `the first ${sample.values.length} JSON value(s)`;
  const tried = formats.map((format) => {
    if (!format.framings.includes(sample.framing)) return { format: format.name, reason: `reads ${format.framings.map((f) => f.toUpperCase()).join(' or ')}; this is ${kind}` };
    if (format.name === 'csv') {
      const resolved = resolveCsvColumns(sample.csvHeader ?? []);
      if ('error' in resolved) return { format: format.name, reason: resolved.error };
    }
    const confidence = format.detect(sample);
    const close = confidence > 0 ? ` (closest match: confidence ${confidence.toFixed(2)}, below 0.5)` : '';
    return { format: format.name, reason: `looks for ${FORMAT_SIGNATURES[format.name]}; not in ${seen}${close}` };
  });
  return sample.framing === 'csv' ? { tried, csvHeader: [...(sample.csvHeader ?? [])] } : { tried };
}
