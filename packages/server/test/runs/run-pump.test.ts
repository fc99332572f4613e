import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { CLAIM_BATCH, createRunPump } from '../../src/runs/run-pump.js';

/** A queue of run names, a worker with `slots` slots, and a claim that can be held open. */
function harness(queue: string[], slots: number) {
  const started: string[] = [];
  let claims = 0;
  const limits: number[] = [];
  let stopping = false;
  let gate: Promise<void> | null = null;
  const pump = createRunPump<string>({
    claim: async (limit) => {
      claims++;
      limits.push(limit);
      if (gate) await gate;
      return queue.splice(0, limit);
    },
    start: (run) => started.push(run),
    room: () => slots - started.length,
    isStopping: () => stopping,
    clock: () => 0,
    logger: pino({ level: 'silent' }),
  });
  return {
    pump,
    started,
    claims: () => claims,
    limits,
    stop: () => (stopping = true),
    free: (run: string) => started.splice(started.indexOf(run), 1),
    hold: () => {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe('the run pump', () => {
  it('claims while there is room and work, and stops at the first claim that finds fewer runs than it asked for', async () => {
    const h = harness(['a', 'b'], 5);
    await h.pump.pump();
    expect(h.started).toEqual(['a', 'b']);
    expect(h.claims()).toBe(1);
  });

  it('claims a few runs per statement, never more than the free room', async () => {
    const queue = Array.from({ length: 3 * CLAIM_BATCH }, (_, i) => `r${i}`);
    const h = harness(queue, 2 * CLAIM_BATCH + 3);
    await h.pump.pump();
    expect(h.started).toHaveLength(2 * CLAIM_BATCH + 3);
    expect(h.limits).toEqual([CLAIM_BATCH, CLAIM_BATCH, 3]);
    // Full: the last claim took all it asked for, and the pump stopped for want of room.
    expect(queue).toHaveLength(CLAIM_BATCH - 3);
  });

  it('stops claiming when full, and claims again when a run ends after a wake-up was turned away', async () => {
    const h = harness(['a', 'b', 'c'], 1);
    await h.pump.pump();
    expect(h.started).toEqual(['a']);
    expect(h.claims()).toBe(1);
    h.free('a');
    // Announced on the bus, but a wake-up found no room meanwhile: the pump claims again itself.
    h.pump.runEnded(true);
    await h.pump.idle();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.started).toEqual(['b']);
  });

  it('leaves an announced end to the bus wake-up when no wake-up was turned away, and claims after an unannounced one', async () => {
    const h = harness(['a'], 2);
    await h.pump.pump();
    const before = h.claims();
    h.free('a');
    h.pump.runEnded(true);
    expect(h.claims()).toBe(before);
    h.pump.runEnded(false);
    expect(h.claims()).toBe(before + 1);
  });

  it('coalesces wake-ups during a pass into one more pass', async () => {
    const h = harness([], 5);
    const open = h.hold();
    const first = h.pump.pump();
    await Promise.all([h.pump.pump(), h.pump.pump(), h.pump.pump()]);
    expect(h.claims()).toBe(1);
    open();
    await first;
    // The three wake-ups made one more pass (one empty claim), not three.
    expect(h.claims()).toBe(2);
  });

  it('claims nothing once stopping, and idle() waits for the pass in progress', async () => {
    const h = harness(['a', 'b'], 5);
    const open = h.hold();
    const pass = h.pump.pump();
    let idle = false;
    const waiting = h.pump.idle().then(() => (idle = true));
    h.stop();
    await new Promise((r) => setTimeout(r, 30));
    expect(idle).toBe(false);
    open();
    await pass;
    await waiting;
    // The claim in flight when the stop came is started (the worker hands its runs back); no other claim follows.
    expect(h.started).toEqual(['a', 'b']);
    expect(h.claims()).toBe(1);
    h.pump.runEnded(false);
    await h.pump.pump();
    expect(h.claims()).toBe(1);
  });
});
