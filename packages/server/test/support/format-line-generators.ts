import type { UsageFormatName } from '../../src/usage/formats/usage-format.js';

/** What a generator wrote, summed as it went: the reference for the ingester's totals. */
export interface GeneratedTotals {
  lines: number;
  records: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface GeneratedFile {
  /** Text chunks of about 64 KiB, made on the fly: the file is never held whole. */
  chunks: AsyncGenerator<string>;
  /** Filled in while `chunks` is read; complete once it is done. */
  totals: GeneratedTotals;
}

const CHUNK_CHARS = 64 * 1024;
const START_MS = Date.parse('2026-11-01T00:00:00Z');
const OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4.1', 'gpt-4o', 'gpt-4.1-mini'] as const;
const CLAUDE_MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5'] as const;

/** A record's buckets, in Tally's disjoint terms. */
interface Buckets {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
}

/** Deterministic, varied token counts for call i. */
function bucketsOf(i: number): Buckets {
  const cacheRead = i % 3 === 0 ? 1024 * (1 + (i % 4)) : 0;
  const cacheWrite = i % 11 === 0 ? 500 + (i % 300) : 0;
  const output = 20 + ((i * 37) % 900);
  return { input: 100 + ((i * 7919) % 5000), cacheRead, cacheWrite, output, reasoning: i % 5 === 0 ? Math.floor(output / 2) : 0 };
}

const emptyTotals = (): GeneratedTotals => ({ lines: 0, records: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 });

function add(totals: GeneratedTotals, b: Buckets, reasoning = true): void {
  totals.records += 1;
  totals.inputTokens += b.input;
  totals.cacheReadTokens += b.cacheRead;
  totals.cacheWriteTokens += b.cacheWrite;
  totals.outputTokens += b.output;
  if (reasoning) totals.reasoningTokens += b.reasoning;
}

const iso = (i: number) => new Date(START_MS + i * 1000).toISOString();

/** Line i of each format (plus the CSV header); each adds what it holds to the totals. */
const LINES: Record<UsageFormatName, { header?: string; line(i: number, totals: GeneratedTotals): string }> = {
  tally: {
    line(i, totals) {
      const b = bucketsOf(i);
      add(totals, b);
      return JSON.stringify({ id: `t-${i}`, ts: iso(i), provider: 'openai', model: OPENAI_MODELS[i % 4], project: 'p', feature: `f${i % 7}`, inputTokens: b.input, outputTokens: b.output, cacheReadTokens: b.cacheRead, cacheWriteTokens: b.cacheWrite, reasoningTokens: b.reasoning, latencyMs: 500 + (i % 2000) });
    },
  },
  openai: {
    line(i, totals) {
      const b = { ...bucketsOf(i), cacheWrite: 0 };
      add(totals, b);
      const created = Math.floor((START_MS + i * 1000) / 1000);
      const model = OPENAI_MODELS[i % 4];
      if (i % 4 === 1) {
        const body = { id: `resp_${i}`, object: 'response', created_at: created, status: 'completed', model, output: [], usage: { input_tokens: b.input + b.cacheRead, input_tokens_details: { cached_tokens: b.cacheRead }, output_tokens: b.output, output_tokens_details: { reasoning_tokens: b.reasoning } } };
        return JSON.stringify(i % 8 === 5 ? { id: `batch_req_${i}`, custom_id: `c${i}`, response: { status_code: 200, request_id: `r${i}`, body }, error: null } : body);
      }
      const body = { id: `chatcmpl-${i}`, object: 'chat.completion', created, model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }], usage: { prompt_tokens: b.input + b.cacheRead, completion_tokens: b.output, total_tokens: b.input + b.cacheRead + b.output, prompt_tokens_details: { cached_tokens: b.cacheRead }, completion_tokens_details: { reasoning_tokens: b.reasoning } } };
      return JSON.stringify(i % 8 === 2 ? { id: `batch_req_${i}`, custom_id: `c${i}`, response: { status_code: 200, request_id: `r${i}`, body }, error: null } : body);
    },
  },
  anthropic: {
    line(i, totals) {
      const b = bucketsOf(i);
      add(totals, b, false);
      return JSON.stringify({ timestamp: iso(i), id: `msg_${i}`, type: 'message', role: 'assistant', model: CLAUDE_MODELS[i % 3], content: [], stop_reason: 'end_turn', usage: { input_tokens: b.input, cache_creation_input_tokens: b.cacheWrite, cache_read_input_tokens: b.cacheRead, output_tokens: b.output } });
    },
  },
  litellm: {
    line(i, totals) {
      const b = { ...bucketsOf(i), reasoning: 0 };
      add(totals, b);
      const extra = b.cacheRead || b.cacheWrite ? { cache_read_input_tokens: b.cacheRead, cache_creation_input_tokens: b.cacheWrite } : {};
      return JSON.stringify({ request_id: `chatcmpl-l${i}`, call_type: 'acompletion', api_key: 'k', spend: 0.001, prompt_tokens: b.input + b.cacheRead + b.cacheWrite, completion_tokens: b.output, total_tokens: 0, startTime: iso(i), endTime: iso(i + 1), model: OPENAI_MODELS[i % 4], custom_llm_provider: 'openai', user: `u${i % 50}`, metadata: JSON.stringify({ status: 'success', additional_usage_values: extra }), cache_hit: 'False' });
    },
  },
  otel: {
    line(i, totals) {
      // Every line: a chat span with usage and a tool span without; every tenth line a second chat span.
      const chats = i % 10 === 0 ? [i * 2, i * 2 + 1] : [i * 2];
      const spans: unknown[] = chats.map((k) => {
        const b = { ...bucketsOf(k), reasoning: 0 };
        add(totals, b);
        const start = BigInt(START_MS + i * 1000) * 1_000_000n;
        return {
          traceId: k.toString(16).padStart(32, '0'),
          spanId: k.toString(16).padStart(16, '0'),
          name: 'chat',
          kind: 3,
          startTimeUnixNano: String(start),
          endTimeUnixNano: String(start + 1_500_000_000n),
          attributes: [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
            { key: 'gen_ai.request.model', value: { stringValue: OPENAI_MODELS[k % 4] } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: String(b.input + b.cacheRead + b.cacheWrite) } },
            { key: 'gen_ai.usage.cache_read.input_tokens', value: { intValue: String(b.cacheRead) } },
            { key: 'gen_ai.usage.cache_creation.input_tokens', value: { intValue: String(b.cacheWrite) } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: String(b.output) } },
          ],
          status: { code: 0 },
        };
      });
      spans.push({ traceId: 'f'.repeat(32), spanId: i.toString(16).padStart(16, 'f'), name: 'execute_tool', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } }], startTimeUnixNano: '1', endTimeUnixNano: '2' });
      return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${i % 5}` } }] }, scopeSpans: [{ scope: { name: 'gen' }, spans }] }] });
    },
  },
  'claude-code': {
    // A turn is three lines: the user's prompt, then one response written twice (partial output, then full).
    line(i, totals) {
      const turn = Math.floor(i / 3);
      const common = { sessionId: 's-1', cwd: '/work/app', version: '2.1.12', isSidechain: turn % 9 === 0, timestamp: iso(i) };
      if (i % 3 === 0) return JSON.stringify({ type: 'user', uuid: `u${i}`, parentUuid: null, ...common, message: { role: 'user', content: 'go on' } });
      const b = bucketsOf(turn);
      const full = i % 3 === 2;
      // The partial line counts until the full one replaces it, so the sums hold wherever the file ends.
      if (full) totals.outputTokens += b.output - 1;
      else add(totals, { ...b, output: 1 }, false);
      const usage = { input_tokens: b.input, cache_creation_input_tokens: b.cacheWrite, cache_read_input_tokens: b.cacheRead, output_tokens: full ? b.output : 1 };
      return JSON.stringify({ type: 'assistant', uuid: `a${i}`, parentUuid: `u${i - 1}`, ...common, requestId: `req_${turn}`, message: { id: `msg_${turn}`, type: 'message', role: 'assistant', model: CLAUDE_MODELS[turn % 3], content: [], usage } });
    },
  },
  csv: {
    header: 'timestamp,provider,model,project,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,latency_ms,status',
    line(i, totals) {
      const b = { ...bucketsOf(i), cacheWrite: 0 };
      add(totals, b);
      return `${iso(i)},openai,${OPENAI_MODELS[i % 4]},"p, ${i % 3}",${b.input + b.cacheRead},${b.cacheRead},${b.output},${b.reasoning},${500 + (i % 900)},${i % 50 === 0 ? 'error' : 'ok'}`;
    },
  },
};

/** `lines` lines of a format, generated on the fly in chunks, with the sums of what they hold. */
export function generateFormatLines(format: UsageFormatName, lines: number): GeneratedFile {
  const totals = emptyTotals();
  const { header, line } = LINES[format];
  async function* chunks(): AsyncGenerator<string> {
    let buffer = header === undefined ? '' : `${header}\n`;
    for (let i = 0; i < lines; i++) {
      buffer += `${line(i, totals)}\n`;
      totals.lines += 1;
      if (buffer.length >= CHUNK_CHARS) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer !== '') yield buffer;
  }
  return { chunks: chunks(), totals };
}
