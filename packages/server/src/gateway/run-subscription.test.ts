import { PROTOCOL_VERSION, type RunEvent } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { channels } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory-bus.js';
import { openRunSubscription } from './run-subscription.js';

const runId = 'run-1';

function event(seq: number, type: RunEvent['type'] = 'agent_thinking'): RunEvent {
  const data = type === 'run_completed' ? { messageId: 'm', answer: 'a', report: null } : { agent: 'supervisor', text: `step ${seq}` };
  return { v: PROTOCOL_VERSION, type, runId, threadId: 't', seq, ts: new Date(0).toISOString(), data } as RunEvent;
}

describe('a subscription that listens before its run exists (listenFirst)', () => {
  it('holds what the bus brings until begin(), then delivers it in order without reading the log', async () => {
    const bus = createMemoryBus();
    const delivered: number[] = [];
    let logReads = 0;
    let ended = false;
    const subscription = await openRunSubscription({
      bus,
      runId,
      workspaceId: runId,
      threadOf: () => runId,
      afterSeq: 0,
      listenFirst: true,
      loadAfter: async () => {
        logReads++;
        return [];
      },
      deliver: (_raw, e) => delivered.push(e.seq),
      onEnd: () => {
        ended = true;
      },
      onError: (error) => {
        throw error;
      },
    });
    for (const seq of [1, 2]) await bus.publish(channels.runEvents(runId), JSON.stringify(event(seq)));
    expect(delivered).toEqual([]);
    subscription.begin();
    expect(delivered).toEqual([1, 2]);
    await bus.publish(channels.runEvents(runId), JSON.stringify(event(3, 'run_completed')));
    expect(delivered).toEqual([1, 2, 3]);
    expect(logReads).toBe(0);
    await expect.poll(() => ended).toBe(true);
  });

  it('fills from the log what the bus lost, before or after begin()', async () => {
    const bus = createMemoryBus();
    const log = [1, 2, 3, 4, 5].map((seq) => event(seq, seq === 5 ? 'run_completed' : 'agent_thinking'));
    // What the log holds so far: it grows as the run's writer flushes.
    let logged = 2;
    const delivered: number[] = [];
    const subscription = await openRunSubscription({
      bus,
      runId,
      workspaceId: runId,
      threadOf: () => runId,
      afterSeq: 0,
      listenFirst: true,
      loadAfter: async (after) => log.slice(0, logged).filter((e) => e.seq > after),
      deliver: (_raw, e) => delivered.push(e.seq),
      onEnd: () => undefined,
      onError: (error) => {
        throw error;
      },
    });
    // run_queued's publish failed: the first event heard is seq 2.
    await bus.publish(channels.runEvents(runId), JSON.stringify(log[1]));
    subscription.begin();
    await expect.poll(() => delivered).toEqual([1, 2]);
    // seq 3 and 4 lost; 5 reveals the gap.
    logged = 5;
    await bus.publish(channels.runEvents(runId), JSON.stringify(log[4]));
    await expect.poll(() => delivered).toEqual([1, 2, 3, 4, 5]);
    expect(subscription.closed).toBe(true);
  });
});
