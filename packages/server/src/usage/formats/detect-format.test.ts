import { describe, expect, it } from 'vitest';
import { detectUsageFormat, sampleUsageText } from './detect-format.js';

const detect = (text: string, mapping?: Record<string, string>) => detectUsageFormat(sampleUsageText(text, true), mapping ? { mapping } : {}).format.name;
const line = (value: unknown) => JSON.stringify(value);

describe('sampleUsageText', () => {
  it('sees JSON lines, parsing each line on its own and skipping ones that are not JSON', () => {
    const sample = sampleUsageText(['not json', '{', line({ a: 1 }), line([{ b: 2 }])].join('\n'), true);
    expect(sample).toMatchObject({ framing: 'json', jsonLayout: 'lines', values: [{ a: 1 }, { b: 2 }] });
  });

  it('sees pretty-printed documents when no line is JSON on its own', () => {
    const sample = sampleUsageText(`${JSON.stringify({ a: { b: 1 } }, null, 2)}\n${JSON.stringify([{ c: 2 }], null, 2)}`, true);
    expect(sample).toMatchObject({ framing: 'json', jsonLayout: 'documents', values: [{ a: { b: 1 } }, { c: 2 }] });
  });

  it('sees CSV when the first line has separators and no line opens JSON', () => {
    expect(sampleUsageText('ts;model\n1;a\n', true)).toMatchObject({ framing: 'csv', csvHeader: ['ts', 'model'] });
    expect(sampleUsageText('nope\n{"x":1}\n', true)).toMatchObject({ framing: 'json' });
  });

  it('uses only complete lines of a text still being read', () => {
    expect(sampleUsageText('{"a":1}\n{"b":', false).values).toEqual([{ a: 1 }]);
  });
});

describe('detectUsageFormat', () => {
  it('tells every format apart by its first lines', () => {
    expect(detect(line({ ts: '2026-09-01T10:00:00Z', model: 'm', inputTokens: 1, outputTokens: 1 }))).toBe('tally');
    expect(detect(line({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', usage: { prompt_tokens: 1, completion_tokens: 1 } }))).toBe('openai');
    expect(detect(line({ id: 'msg_1', type: 'message', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } }))).toBe('anthropic');
    expect(detect(line({ request_id: 'r', call_type: 'acompletion', prompt_tokens: 1, completion_tokens: 1, spend: 0 }))).toBe('litellm');
    expect(detect('request_id,call_type,spend,prompt_tokens,completion_tokens,startTime,model\n')).toBe('litellm');
    expect(detect(line({ resourceSpans: [] }))).toBe('otel');
    expect(detect([line({ type: 'summary', summary: 's', leafUuid: 'l' }), line({ type: 'user', sessionId: 's', uuid: 'u' })].join('\n'))).toBe('claude-code');
    expect(detect('timestamp,model,prompt_tokens,completion_tokens\n')).toBe('csv');
  });

  it('tells the formats of coding agents, gateways and observability exports apart, each from its look-alikes', () => {
    const codex = [line({ timestamp: 't', type: 'session_meta', payload: { id: 's', cwd: '/w', originator: 'codex_cli_rs', cli_version: '0.63.0' } }), line({ timestamp: 't', type: 'turn_context', payload: { model: 'gpt-5' } })];
    expect(detect(codex.join('\n'))).toBe('codex');
    const gemini = { hrTime: [1, 0], attributes: { 'event.name': 'gemini_cli.api_response', model: 'gemini-2.5-pro', input_token_count: 5 } };
    expect(detect(line(gemini))).toBe('gemini-cli');
    // The telemetry outfile is pretty-printed; spans from Gemini CLI would otherwise read as OTel.
    expect(detect(`${JSON.stringify(gemini, null, 2)}\n${JSON.stringify(gemini, null, 2)}\n`)).toBe('gemini-cli');
    expect(detect(line({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }] }, scopeSpans: [] }] }))).toBe('gemini-cli');
    expect(detect('Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost\n')).toBe('cursor');
    expect(detect(line({ schemaType: 'ModelInvocationLog', modelId: 'm', input: { inputTokenCount: 1 } }))).toBe('bedrock');
    expect(detect(line({ data: { id: 'gen-1', model: 'openai/gpt-4o', native_tokens_prompt: 1, tokens_prompt: 1, total_cost: 0 } }))).toBe('openrouter');
    expect(detect('generation_id,created_at,cost_total,tokens_prompt,tokens_completion,model_permaslug\n')).toBe('openrouter');
    expect(detect(line({ id: 'o', traceId: 't', type: 'GENERATION', startTime: 't', usageDetails: { input: 1 } }))).toBe('langfuse');
    // Helicone rows share request_id/prompt_tokens/completion_tokens with LiteLLM's.
    expect(detect(line({ request_id: 'r', request_created_at: 't', prompt_tokens: 1, completion_tokens: 1, delay_ms: 5 }))).toBe('helicone');
    expect(detect('request_id,request_created_at,model,prompt_tokens,completion_tokens,costUSD\n')).toBe('helicone');
  });

  it('falls back to Tally for unrecognised JSON and to CSV for an unrecognised header; a mapping means CSV', () => {
    expect(detect('nope\n{"x":1}\n')).toBe('tally');
    expect(detect('')).toBe('tally');
    expect(detect('a,b\n1,2\n')).toBe('csv');
    expect(detect('request_id,call_type,spend,prompt_tokens,completion_tokens\n', { request_id: 'id' })).toBe('csv');
  });
});
