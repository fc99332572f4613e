import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { runViewsReducer } from './use-run-views.js';

const RUN = '11111111-1111-4111-8111-111111111111';
const THREAD = '22222222-2222-4222-8222-222222222222';
const MSG = '33333333-3333-4333-8333-333333333333';
const events: RunEvent[] = [
  { v: 1, type: 'run_queued', runId: RUN, threadId: THREAD, seq: 1, ts: '2026-01-01T00:00:00Z', data: { messageId: MSG, text: 'q' } },
  ...['Most ', 'goes ', 'to ', 'gpt-4o.'].map(
    (text, i): RunEvent => ({ v: 1, type: 'message_delta', runId: RUN, threadId: THREAD, seq: i + 2, ts: '2026-01-01T00:00:00Z', data: { agent: 'reporting', text } }),
  ),
] as RunEvent[];

describe('runViewsReducer', () => {
  it('folds a loaded log into what the socket already showed, each seq once, never backwards', () => {
    // The socket delivered 1..4 before the REST log (read earlier, 1..3) arrived.
    const live = events.slice(0, 4).reduce((state, event) => runViewsReducer(state, { type: 'event', event }), {});
    const afterStaleLoad = runViewsReducer(live, { type: 'load', runId: RUN, threadId: THREAD, events: events.slice(0, 3) });
    expect(afterStaleLoad[RUN]!.answer).toBe('Most goes to ');
    expect(afterStaleLoad).toBe(live);
    // A longer log moves it on; the socket's next event is then a duplicate.
    const loaded = runViewsReducer(afterStaleLoad, { type: 'load', runId: RUN, threadId: THREAD, events });
    const again = runViewsReducer(loaded, { type: 'event', event: events[4]! });
    expect(again[RUN]!.answer).toBe('Most goes to gpt-4o.');
    expect(again[RUN]!.lastSeq).toBe(5);
  });
});
