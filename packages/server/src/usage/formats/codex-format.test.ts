import { describe, expect, it } from 'vitest';
import { codexFormat, createCodexMapper } from './codex-format.js';
import type { MappedItem } from './usage-format.js';

const meta = (id: string) => ({ timestamp: '2026-11-21T08:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-11-21T08:00:00.000Z', cwd: '/home/dev/shop', originator: 'codex_cli_rs', cli_version: '0.63.0' } });
const context = (model: string) => ({ timestamp: '2026-11-21T08:00:01.000Z', type: 'turn_context', payload: { cwd: '/home/dev/shop', model, effort: 'medium' } });
const count = (at: string, total: [number, number, number, number], last?: [number, number, number, number]) => ({
  timestamp: at,
  type: 'event_msg',
  payload: {
    type: 'token_count',
    info: {
      total_token_usage: { input_tokens: total[0], cached_input_tokens: total[1], output_tokens: total[2], reasoning_output_tokens: total[3], total_tokens: total[0] + total[2] },
      ...(last ? { last_token_usage: { input_tokens: last[0], cached_input_tokens: last[1], output_tokens: last[2], reasoning_output_tokens: last[3], total_tokens: last[0] + last[2] } } : {}),
      model_context_window: 272000,
    },
    rate_limits: { primary: { used_percent: 3.2 } },
  },
});

function run(lines: unknown[]): MappedItem[] {
  const mapper = createCodexMapper();
  return [...lines.flatMap((line, i) => mapper.map(line, i + 1)), ...mapper.flush()];
}
const records = (items: MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));

describe('codexFormat', () => {
  it('maps the FORMATS.md line: the first snapshot of a session is its own delta, cached inside input, reasoning inside output', () => {
    const [first] = records(run([meta('s1'), context('gpt-5-codex'), count('2026-11-21T08:00:04.210Z', [26549, 22272, 1590, 1152])]));
    expect(first).toMatchObject({ id: 's1:28139', ts: '2026-11-21T08:00:04.210Z', provider: 'openai', model: 'gpt-5-codex', inputTokens: 4277, cacheReadTokens: 22272, outputTokens: 1590, reasoningTokens: 1152, project: 'shop', feature: 'codex' });
  });

  it('takes differences of the cumulative totals; a repeated (unchanged) total adds nothing', () => {
    const out = records(
      run([
        meta('s1'),
        context('gpt-5'),
        count('2026-11-21T08:00:04Z', [1000, 800, 100, 40], [1000, 800, 100, 40]),
        count('2026-11-21T08:00:05Z', [1000, 800, 100, 40], [1000, 800, 100, 40]),
        context('gpt-5-codex'),
        count('2026-11-21T08:01:00Z', [3000, 2500, 250, 100], [2000, 1700, 150, 60]),
        { timestamp: '2026-11-21T08:01:01Z', type: 'event_msg', payload: { type: 'token_count', info: null, rate_limits: {} } },
        count('2026-11-21T08:01:02Z', [3000, 2500, 250, 100], [2000, 1700, 150, 60]),
      ]),
    );
    expect(out).toEqual([
      expect.objectContaining({ model: 'gpt-5', inputTokens: 200, cacheReadTokens: 800, outputTokens: 100, reasoningTokens: 40 }),
      expect.objectContaining({ model: 'gpt-5-codex', inputTokens: 300, cacheReadTokens: 1700, outputTokens: 150, reasoningTokens: 60, id: 's1:3250' }),
    ]);
    // Summing last_token_usage per event (the peers' bug) would have counted the repeats too.
  });

  it('follows each session of a concatenated file apart, and restarts counting when a total shrinks', () => {
    const out = records(
      run([meta('a'), context('gpt-5'), count('2026-11-21T08:00:04Z', [500, 0, 50, 0]), meta('b'), context('gpt-5'), count('2026-11-21T09:00:00Z', [300, 100, 30, 0]), count('2026-11-21T09:01:00Z', [100, 0, 10, 0])]),
    );
    expect(out).toEqual([
      expect.objectContaining({ id: 'a:550', inputTokens: 500 }),
      expect.objectContaining({ id: 'b:330', inputTokens: 200, cacheReadTokens: 100 }),
      expect.objectContaining({ id: 'b:110', inputTokens: 100, outputTokens: 10 }),
    ]);
  });

  it('reports a token count with no model before it, or with bad counts, on its own line', () => {
    expect(records(run([meta('s'), count('2026-11-21T08:00:04Z', [10, 0, 1, 0])]))).toEqual([expect.stringMatching(/no model: no turn_context/)]);
    const bad = { ...count('2026-11-21T08:00:04Z', [10, 0, 1, 0]), payload: { type: 'token_count', info: { total_token_usage: { input_tokens: -4, output_tokens: 1 } } } };
    expect(records(run([context('gpt-5'), bad]))).toEqual([expect.stringMatching(/input_tokens: expected a whole number/)]);
  });

  it('is detected by its session_meta, turn_context and token_count lines', () => {
    const sample = { framing: 'json' as const, lines: [], head: '', values: [meta('s'), context('gpt-5')] };
    expect(codexFormat.detect(sample)).toBeGreaterThan(0.9);
    expect(codexFormat.detect({ ...sample, values: [{ type: 'message', usage: {} }] })).toBe(0);
  });
});
