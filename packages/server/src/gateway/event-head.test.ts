import { describe, expect, it } from 'vitest';
import { eventHeadOf } from './event-head.js';

describe('eventHeadOf', () => {
  const event = {
    v: 1,
    type: 'message_delta',
    runId: '5913f95a-a38a-497f-882e-6d8b528f0719',
    threadId: 'cebdee17-80ca-4a4d-a416-0e87328ba14b',
    seq: 1234,
    ts: '2026-11-24T04:30:36.540Z',
    data: { agent: 'reporting', text: '"seq":7 "type":"run_completed"' },
  };

  it('reads type and seq of an event as the emitter writes it', () => {
    expect(eventHeadOf(JSON.stringify(event))).toEqual({ type: 'message_delta', seq: 1234 });
  });

  it('parses in full what is not in the emitter key order', () => {
    const { seq, ...rest } = event;
    expect(eventHeadOf(JSON.stringify({ ...rest, seq: 9 }))).toEqual({ type: 'message_delta', seq: 9 });
    expect(eventHeadOf(JSON.stringify({ seq: 3, ...rest, type: 'run_completed' }))).toEqual({ type: 'run_completed', seq: 3 });
  });

  it('agrees with a full parse on every frame shape the log produces', () => {
    for (const type of ['run_queued', 'agent_started', 'tool_completed', 'run_completed']) {
      for (const seq of [1, 9, 10, 99999]) {
        const raw = JSON.stringify({ ...event, type, seq });
        const parsed = JSON.parse(raw) as { type: string; seq: number };
        expect(eventHeadOf(raw)).toEqual({ type: parsed.type, seq: parsed.seq });
      }
    }
  });
});
