import { describe, expect, it } from 'vitest';
import { claudeCodeFormat, createClaudeCodeMapper } from './claude-code-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const sample = (...values: unknown[]): FormatSample => ({ framing: 'json', lines: [], values, head: '' });
const records = (items: readonly MappedItem[]) => items.flatMap((i) => ('record' in i ? [i.record] : []));

/** An assistant line as Claude Code writes it (FORMATS.md §5a example), with overrides. */
function assistant(output: number, over: Record<string, unknown> = {}, message: Record<string, unknown> = {}) {
  return {
    type: 'assistant',
    uuid: '9b',
    parentUuid: '4e',
    isSidechain: false,
    sessionId: '0c1d',
    cwd: '/home/dev/app',
    timestamp: '2026-11-20T09:12:03.512Z',
    requestId: 'req_011X',
    ...over,
    message: {
      id: 'msg_01Q',
      model: 'claude-opus-4-5',
      usage: {
        input_tokens: 4,
        cache_creation_input_tokens: 2285,
        cache_read_input_tokens: 22137,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 2285 },
        output_tokens: output,
      },
      ...message,
    },
  };
}

describe('claudeCodeFormat', () => {
  it('maps the FORMATS.md example line: Anthropic usage, project from cwd, keyed by message.id and requestId', () => {
    const mapper = createClaudeCodeMapper(10);
    expect(mapper.map(assistant(159), 1)).toEqual([]);
    const [item] = mapper.flush();
    expect(item).toEqual({
      lineNumber: 1,
      record: expect.objectContaining({
        id: 'msg_01Q:req_011X',
        ts: '2026-11-20T09:12:03.512Z',
        provider: 'anthropic',
        model: 'claude-opus-4-5',
        project: 'app',
        feature: 'claude-code',
        inputTokens: 4,
        // Claude Code writes 1-hour caches: billed at 2x input, apart from 5-minute writes.
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 2285,
        cacheReadTokens: 22137,
        outputTokens: 159,
      }),
    });
  });

  it('merges the repeated lines of one response into one record with the largest output (not the first, not the sum)', () => {
    const mapper = createClaudeCodeMapper(10);
    const out = [...mapper.map(assistant(3), 1), ...mapper.map(assistant(9), 2), ...mapper.map(assistant(159), 3), ...mapper.map(assistant(9), 4), ...mapper.flush()];
    expect(records(out)).toHaveLength(1);
    expect(records(out)[0]).toMatchObject({ outputTokens: 159 });
    expect(out[0]?.lineNumber).toBe(3);
  });

  it('keeps the last line on a tie, and keys on message.id alone when requestId is missing', () => {
    const mapper = createClaudeCodeMapper(10);
    mapper.map(assistant(5, { requestId: undefined, timestamp: '2026-11-20T09:12:03.000Z' }), 1);
    mapper.map(assistant(5, { requestId: undefined, timestamp: '2026-11-20T09:12:04.000Z' }), 2);
    const [only, ...rest] = records(mapper.flush());
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ id: 'msg_01Q', ts: '2026-11-20T09:12:04.000Z' });
  });

  it('counts sidechain (sub-agent) calls, skips <synthetic> messages and non-assistant lines', () => {
    const mapper = createClaudeCodeMapper(10);
    const items = [
      ...mapper.map({ type: 'summary', summary: 'x', leafUuid: 'l' }, 1),
      ...mapper.map({ type: 'user', sessionId: 's', uuid: 'u', message: { role: 'user', content: 'hi' }, toolUseResult: { totalTokens: 9999, usage: { input_tokens: 1, output_tokens: 9999 } } }, 2),
      ...mapper.map(assistant(88, { isSidechain: true, agentId: 'a1', requestId: 'req_2' }, { id: 'msg_2', model: 'claude-sonnet-4-5' }), 3),
      ...mapper.map(assistant(0, { isApiErrorMessage: true, requestId: 'req_3' }, { id: 'msg_3', model: '<synthetic>' }), 4),
      ...mapper.map({ type: 'system', subtype: 'turn_duration', durationMs: 100, sessionId: 's', uuid: 'v' }, 5),
      ...mapper.map({ type: 'assistant', sessionId: 's', uuid: 'w', message: { id: 'msg_4', content: [] } }, 6),
      ...mapper.flush(),
    ];
    expect(records(items)).toEqual([expect.objectContaining({ id: 'msg_2:req_2', feature: 'claude-code/subagent', outputTokens: 88 })]);
  });

  it('marks an API error message with a real model as an error', () => {
    const mapper = createClaudeCodeMapper(10);
    mapper.map(assistant(0, { isApiErrorMessage: true }), 1);
    expect(records(mapper.flush())[0]).toMatchObject({ status: 'error' });
  });

  it('holds at most `window` messages: the oldest leaves first, so memory stays fixed', () => {
    const mapper = createClaudeCodeMapper(2);
    expect(mapper.map(assistant(1, { requestId: 'a' }), 1)).toEqual([]);
    expect(mapper.map(assistant(1, { requestId: 'b' }), 2)).toEqual([]);
    expect(records(mapper.map(assistant(1, { requestId: 'c' }), 3))).toEqual([expect.objectContaining({ id: 'msg_01Q:a' })]);
    // Seeing b again makes it the most recent: c leaves next.
    expect(mapper.map(assistant(2, { requestId: 'b' }), 4)).toEqual([]);
    expect(records(mapper.map(assistant(1, { requestId: 'd' }), 5))).toEqual([expect.objectContaining({ id: 'msg_01Q:c' })]);
    expect(records(mapper.flush()).map((r) => [r.id, r.outputTokens])).toEqual([
      ['msg_01Q:b', 2],
      ['msg_01Q:d', 1],
    ]);
  });

  it('reports a line with a bad timestamp or counts, and a line that is not an object', () => {
    const mapper = createClaudeCodeMapper(10);
    expect(mapper.map(assistant(1, { timestamp: 'soon' }), 1)).toEqual([{ lineNumber: 1, error: expect.stringMatching(/timestamp: not a time/) }]);
    expect(mapper.map(assistant(-1), 2)).toEqual([{ lineNumber: 2, error: expect.stringMatching(/message.usage.output_tokens/) }]);
    expect(mapper.map(42, 3)).toEqual([{ lineNumber: 3, error: 'expected a JSON object' }]);
  });

  it('recognises session logs from any of their line types', () => {
    expect(claudeCodeFormat.detect(sample({ type: 'user', sessionId: 's', uuid: 'u' }))).toBeGreaterThan(0.95);
    expect(claudeCodeFormat.detect(sample({ type: 'summary', summary: 'x', leafUuid: 'l' }))).toBeGreaterThan(0.8);
    expect(claudeCodeFormat.detect(sample({ type: 'message', id: 'msg_1', usage: {} }))).toBe(0);
  });
});
