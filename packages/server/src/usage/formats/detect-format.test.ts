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

  it('falls back to Tally for unrecognised JSON and to CSV for an unrecognised header; a mapping means CSV', () => {
    expect(detect('nope\n{"x":1}\n')).toBe('tally');
    expect(detect('')).toBe('tally');
    expect(detect('a,b\n1,2\n')).toBe('csv');
    expect(detect('request_id,call_type,spend,prompt_tokens,completion_tokens\n', { request_id: 'id' })).toBe('csv');
  });
});
