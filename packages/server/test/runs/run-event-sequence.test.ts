import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tally/protocol';
import { createRunEventSequence } from '../../src/runs/run-event-sequence.js';

describe('a run event sequence', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');

  it('numbers a new run from 1 and each next event one after the last, stamped with the clock', () => {
    const sequence = createRunEventSequence({ id: 'run-1', threadId: 'thread-1', lastSeq: 0 }, () => at);
    expect(sequence.lastSeq).toBe(0);
    const queued = sequence.next({ type: 'run_queued', data: { messageId: 'm', text: 'hi' } });
    expect(queued).toEqual({ v: PROTOCOL_VERSION, type: 'run_queued', runId: 'run-1', threadId: 'thread-1', seq: 1, ts: at.toISOString(), data: { messageId: 'm', text: 'hi' } });
    expect(sequence.next({ type: 'message_delta', data: { agent: 'supervisor', text: 'a' } }).seq).toBe(2);
    expect(sequence.lastSeq).toBe(2);
  });

  it('goes on after the last_seq it starts from (a takeover, the cancel of a queued run)', () => {
    const sequence = createRunEventSequence({ id: 'run-2', threadId: 'thread-2', lastSeq: 41 }, () => at);
    const cancelled = sequence.next({ type: 'run_cancelled', data: { reason: 'Stopped by the user before it started.' } });
    expect(cancelled.seq).toBe(42);
    expect(sequence.lastSeq).toBe(42);
  });
});
