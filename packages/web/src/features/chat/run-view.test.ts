import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { applyRunEvent, type RunView } from './run-view.js';

const RUN = '11111111-1111-4111-8111-111111111111';
const THREAD = '22222222-2222-4222-8222-222222222222';
const MSG = '33333333-3333-4333-8333-333333333333';
let seq = 0;
const ev = (type: RunEvent['type'], data: Record<string, unknown>): RunEvent =>
  ({ v: 1, type, runId: RUN, threadId: THREAD, seq: ++seq, ts: '2026-01-01T00:00:00Z', data }) as RunEvent;

function fold(events: RunEvent[]): RunView {
  return events.reduce<RunView | undefined>((v, e) => applyRunEvent(v, e), undefined)!;
}

describe('applyRunEvent', () => {
  it('builds the timeline, tool calls and streamed answer of a run', () => {
    seq = 0;
    const events = [
      ev('run_queued', { messageId: MSG, text: 'Where is my AI money going?' }),
      ev('agent_started', { agent: 'supervisor' }),
      ev('agent_started', { agent: 'data' }),
      ev('agent_thinking', { agent: 'data', text: 'querying' }),
      ev('tool_executing', { agent: 'data', toolCallId: 't1', tool: 'spend_by_model', args: { days: 30 } }),
      ev('tool_completed', { agent: 'data', toolCallId: 't1', tool: 'spend_by_model', args: { days: 30 }, result: [1], durationMs: 12 }),
      ev('agent_completed', { agent: 'data', durationMs: 40 }),
      ev('message_delta', { agent: 'reporting', text: 'Most ' }),
      ev('message_delta', { agent: 'reporting', text: 'goes' }),
    ];
    const view = fold(events);
    expect(view.status).toBe('running');
    expect(view.question).toBe('Where is my AI money going?');
    expect(view.answer).toBe('Most goes');
    expect(view.tools.t1).toMatchObject({ state: 'done', durationMs: 12, result: [1] });
    expect(view.timeline.map((t) => t.kind)).toEqual(['agent', 'agent', 'thinking', 'tool', 'agent']);
    expect(view.activeAgent).toBeNull();

    const done = applyRunEvent(view, ev('run_completed', { messageId: MSG, answer: 'Most goes to gpt-4o.', report: null }));
    expect(done).toMatchObject({ status: 'completed', answer: 'Most goes to gpt-4o.', lastSeq: 10 });
  });

  it('ignores an event it already folded in', () => {
    seq = 0;
    const first = ev('run_queued', { messageId: MSG, text: 'q' });
    const view = fold([first, ev('message_delta', { agent: 'reporting', text: 'a' })]);
    expect(applyRunEvent(view, { ...first, seq: 2 } as RunEvent)).toBe(view);
  });

  it('records failure and cancellation', () => {
    seq = 0;
    expect(fold([ev('run_queued', { messageId: MSG, text: 'q' }), ev('run_failed', { code: 'INTERNAL', message: 'boom' })]))
      .toMatchObject({ status: 'failed', failure: { code: 'INTERNAL' } });
    seq = 0;
    expect(fold([ev('run_queued', { messageId: MSG, text: 'q' }), ev('run_cancelled', { reason: 'stopped by user' })]))
      .toMatchObject({ status: 'cancelled', cancelReason: 'stopped by user' });
  });
});
