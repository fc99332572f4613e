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

/** How one format's lines are made: its CSV header, and line i, which adds what it holds to the totals. */
interface LineMaker {
  header?: string;
  line(i: number, totals: GeneratedTotals): string;
}

const CODEX_MODELS = ['gpt-5', 'gpt-5-codex'] as const;
const GEMINI_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash'] as const;
/** Every form a Bedrock `modelId` takes, all of priced foundation models. */
const BEDROCK_MODEL_IDS = [
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
] as const;
const OPENROUTER_MODELS = ['anthropic/claude-sonnet-4.5', 'openai/gpt-4o-mini', 'google/gemini-2.5-flash'] as const;

/** Codex: sessions of 3,001 lines (meta, then turns of context, new total, repeated total), cumulative counts. */
function codexLines(): LineMaker {
  const SESSION = 3001;
  let cumulative = { input: 0, cached: 0, output: 0, reasoning: 0 };
  return {
    line(i, totals) {
      const session = Math.floor(i / SESSION);
      const k = i % SESSION;
      const timestamp = iso(i);
      if (k === 0) {
        cumulative = { input: 0, cached: 0, output: 0, reasoning: 0 };
        return JSON.stringify({ timestamp, type: 'session_meta', payload: { id: `0199-session-${session}`, timestamp, cwd: `/work/app${session % 3}`, originator: 'codex_cli_rs', cli_version: '0.63.0' } });
      }
      const turn = Math.floor((k - 1) / 3);
      const step = (k - 1) % 3;
      if (step === 0) return JSON.stringify({ timestamp, type: 'turn_context', payload: { cwd: '/work/app', approval_policy: 'on-request', model: CODEX_MODELS[turn % 2], effort: 'medium' } });
      const b = { ...bucketsOf(session * 1000 + turn), cacheWrite: 0 };
      if (step === 1) {
        add(totals, b);
        cumulative = { input: cumulative.input + b.input + b.cacheRead, cached: cumulative.cached + b.cacheRead, output: cumulative.output + b.output, reasoning: cumulative.reasoning + b.reasoning };
      }
      // Step 2 re-emits the same total (a UI refresh): it must add nothing.
      const last = { input_tokens: b.input + b.cacheRead, cached_input_tokens: b.cacheRead, output_tokens: b.output, reasoning_output_tokens: b.reasoning, total_tokens: b.input + b.cacheRead + b.output };
      const total = { input_tokens: cumulative.input, cached_input_tokens: cumulative.cached, output_tokens: cumulative.output, reasoning_output_tokens: cumulative.reasoning, total_tokens: cumulative.input + cumulative.output };
      return JSON.stringify({ timestamp, type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last, model_context_window: 272000 }, rate_limits: { primary: { used_percent: 4 } } } });
    },
  };
}

/** Line i of each format (plus the CSV header); each adds what it holds to the totals. */
const LINES: Record<UsageFormatName, LineMaker | (() => LineMaker)> = {
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
  codex: codexLines,
  'gemini-cli': {
    // SDK log records as the telemetry outfile writes them: a request event, the response event
    // (the one counted), and the token-usage metric repeating the response's usage.
    line(i, totals) {
      const turn = Math.floor(i / 3);
      const model = GEMINI_MODELS[turn % 2];
      const hrTime = [Math.floor((START_MS + i * 1000) / 1000), 0];
      const common = { 'session.id': `s-${Math.floor(turn / 500)}`, 'event.timestamp': iso(i), model, prompt_id: `p-${turn}` };
      const b = { ...bucketsOf(turn), cacheWrite: 0 };
      if (i % 3 === 0) return JSON.stringify({ resource: { attributes: { 'service.name': 'gemini-cli' } }, hrTime, attributes: { ...common, 'event.name': 'gemini_cli.api_request' }, body: 'API request' });
      const usage = { input_token_count: b.input + b.cacheRead, cached_content_token_count: b.cacheRead, output_token_count: b.output - b.reasoning, thoughts_token_count: b.reasoning, tool_token_count: 0, total_token_count: b.input + b.cacheRead + b.output };
      if (i % 3 === 1) {
        add(totals, b);
        return JSON.stringify({ resource: { attributes: { 'service.name': 'gemini-cli' } }, hrTime, attributes: { ...common, 'event.name': 'gemini_cli.api_response', status_code: 200, duration_ms: 800 + (i % 900), ...usage, auth_type: 'gemini-api-key' }, body: 'API response' });
      }
      return JSON.stringify({ descriptor: { name: 'gemini_cli.token.usage', unit: 'token' }, dataPointType: 3, dataPoints: [{ attributes: { model, type: 'input' }, value: usage.input_token_count }, { attributes: { model, type: 'output' }, value: usage.output_token_count }] });
    },
  },
  cursor: {
    header: 'Date,Cloud Agent ID,Automation ID,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost',
    line(i, totals) {
      const b = { ...bucketsOf(i), reasoning: 0 };
      add(totals, b);
      const model = ['claude-4.5-sonnet-thinking', 'gpt-5', 'gemini-2.5-pro'][i % 3];
      const cost = i % 4 === 0 ? 'Included' : (0.001 * (i % 97)).toFixed(2);
      return `"${iso(i)}","${i % 10 === 0 ? `bc-${i}` : ''}","","${i % 4 === 0 ? 'Included' : 'On-Demand'}","${model}","No","${b.cacheWrite}","${b.input}","${b.cacheRead}","${b.output}","${b.cacheWrite + b.input + b.cacheRead + b.output}","${cost}"`;
    },
  },
  bedrock: {
    line(i, totals) {
      const b = { ...bucketsOf(i), reasoning: 0 };
      add(totals, b);
      return JSON.stringify({ schemaType: 'ModelInvocationLog', schemaVersion: '1.0', timestamp: iso(i), accountId: '123456789012', identity: { arn: 'arn:aws:sts::123456789012:assumed-role/app/worker' }, region: 'us-east-1', requestId: `b-${i}`, operation: 'Converse', modelId: BEDROCK_MODEL_IDS[i % 4], input: { inputContentType: 'application/json', inputTokenCount: b.input, cacheReadInputTokenCount: b.cacheRead, cacheWriteInputTokenCount: b.cacheWrite }, output: { outputContentType: 'application/json', outputTokenCount: b.output, outputBodyJson: { stopReason: 'end_turn', metrics: { latencyMs: 700 + (i % 500) } } } });
    },
  },
  openrouter: {
    line(i, totals) {
      const b = { ...bucketsOf(i), cacheWrite: 0 };
      const model = OPENROUTER_MODELS[i % 3];
      if (i % 10 === 9) {
        // An activity row: one day's sums for a model, no cache split.
        const day = { ...b, input: b.input + b.cacheRead, cacheRead: 0 };
        add(totals, day);
        return JSON.stringify({ date: iso(i).slice(0, 10), model, model_permaslug: `${model}-2025`, endpoint_id: `e-${i}`, provider_name: 'Anthropic', usage: 0.5, byok_usage_inference: 0, requests: 12, prompt_tokens: day.input, completion_tokens: b.output, reasoning_tokens: b.reasoning });
      }
      add(totals, b);
      return JSON.stringify({ data: { id: `gen-${i}`, created_at: iso(i), model, total_cost: 0.0012, cache_discount: null, provider_name: 'Anthropic', streamed: true, cancelled: false, latency: 900, tokens_prompt: b.input + b.cacheRead + 7, tokens_completion: b.output + 3, native_tokens_prompt: b.input + b.cacheRead, native_tokens_completion: b.output, native_tokens_reasoning: b.reasoning, native_tokens_cached: b.cacheRead } });
    },
  },
  langfuse: {
    line(i, totals) {
      if (i % 4 === 3) return JSON.stringify({ id: `span-${i}`, traceId: `t-${i >> 2}`, type: 'SPAN', name: 'retrieve', startTime: iso(i), endTime: iso(i + 1), usageDetails: {}, costDetails: {} });
      const b = bucketsOf(i);
      add(totals, b);
      const usageDetails = { input: b.input, cache_read_input_tokens: b.cacheRead, cache_creation_input_tokens: b.cacheWrite, output: b.output - b.reasoning, output_reasoning_tokens: b.reasoning, total: b.input + b.cacheRead + b.cacheWrite + b.output };
      return JSON.stringify({ id: `obs-${i}`, traceId: `t-${i >> 2}`, type: 'GENERATION', name: 'answer', startTime: iso(i), endTime: iso(i + 2), completionStartTime: iso(i + 1), model: CLAUDE_MODELS[i % 3], usageDetails, costDetails: { total: 0.002 }, latency: 2.0, level: 'DEFAULT', environment: 'production' });
    },
  },
  helicone: {
    line(i, totals) {
      const anthropic = i % 2 === 0;
      const b = anthropic ? { ...bucketsOf(i), reasoning: 0 } : { ...bucketsOf(i), cacheWrite: 0, reasoning: 0 };
      const cacheHit = i % 13 === 12;
      if (!cacheHit) add(totals, b);
      // Anthropic's prompt count excludes the cache; OpenAI's includes it.
      const prompt = anthropic ? b.input : b.input + b.cacheRead;
      return JSON.stringify({ request_id: `5e0c-${i}`, request_created_at: iso(i), response_status: 200, model: anthropic ? CLAUDE_MODELS[i % 3] : OPENAI_MODELS[i % 4], provider: anthropic ? 'ANTHROPIC' : 'OPENAI', delay_ms: 812, prompt_tokens: prompt, completion_tokens: b.output, total_tokens: prompt + b.output, prompt_cache_read_tokens: b.cacheRead, prompt_cache_write_tokens: b.cacheWrite, costUSD: 0.0049, cache_reference_id: cacheHit ? `c-${i}` : '00000000-0000-0000-0000-000000000000', properties: { feature: 'search' } });
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
  const maker = LINES[format];
  const { header, line } = typeof maker === 'function' ? maker() : maker;
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
