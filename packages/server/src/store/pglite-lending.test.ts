import { describe, expect, it } from 'vitest';
import { BULK_AT_LEAST_EVERY_MS, BULK_GRACE_MS, createPgliteLending } from './pglite-lending.js';
import type { PgliteLane } from './pglite-thread-protocol.js';

/** A clock the test moves by hand, with the timers due at each step. */
function manualClock() {
  let now = 0;
  const timers: Array<{ at: number; run: () => void }> = [];
  return {
    now: () => now,
    setTimeout(run: () => void, ms: number) {
      timers.push({ at: now + ms, run });
    },
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.run();
      }
    },
  };
}

describe('the PGlite connection lending', () => {
  function setup() {
    const clock = manualClock();
    const lending = createPgliteLending(clock);
    const order: string[] = [];
    const leases = new Map<string, number>();
    const ask = (name: string, lane: PgliteLane) =>
      lending.acquire(undefined, lane, (lease) => {
        order.push(name);
        leases.set(name, lease);
      });
    const done = (name: string) => lending.release(leases.get(name)!);
    return { clock, lending, order, ask, done };
  }

  it('lends in lane order: interactive, then background, then bulk', () => {
    const { clock, order, ask, done } = setup();
    ask('holder', 'background');
    ask('bulk', 'bulk');
    ask('run', 'background');
    ask('ack', 'interactive');
    done('holder');
    expect(order).toEqual(['holder', 'ack']);
    done('ack');
    done('run');
    expect(order).toEqual(['holder', 'ack', 'run']);
    clock.advance(BULK_GRACE_MS);
    expect(order).toEqual(['holder', 'ack', 'run', 'bulk']);
  });

  it('keeps the connection for another lane`s next statement a moment after one ends, so an insert does not slip between a run`s statements', () => {
    const { clock, order, ask, done } = setup();
    ask('claim', 'background');
    ask('insert', 'bulk');
    done('claim');
    // The run's next statement, a few milliseconds after the claim's answer: it goes first.
    clock.advance(BULK_GRACE_MS - 1);
    expect(order).toEqual(['claim']);
    ask('usage read', 'background');
    expect(order).toEqual(['claim', 'usage read']);
    done('usage read');
    clock.advance(BULK_GRACE_MS);
    expect(order).toEqual(['claim', 'usage read', 'insert']);
  });

  it('lends to bulk at once when no one else used the connection, and one bulk statement after another', () => {
    const { order, ask, done } = setup();
    ask('insert 1', 'bulk');
    ask('insert 2', 'bulk');
    expect(order).toEqual(['insert 1']);
    done('insert 1');
    expect(order).toEqual(['insert 1', 'insert 2']);
  });

  it('serves the bulk lane once a second at least while the others keep the connection busy, and them in between', () => {
    const { clock, order, ask, done } = setup();
    ask('run 0', 'background');
    ask('insert', 'bulk');
    // Runs' statements back to back, 10 ms each, the next always asked for before the last ends.
    let current = 'run 0';
    for (let i = 1; order.at(-1) !== 'insert' && i < 1000; i++) {
      ask(`run ${i}`, 'background');
      clock.advance(10);
      done(current);
      current = `run ${i}`;
    }
    expect(order.at(-1)).toBe('insert');
    expect(clock.now()).toBe(BULK_AT_LEAST_EVERY_MS);
    expect(order.filter((name) => name.startsWith('run'))).toHaveLength(BULK_AT_LEAST_EVERY_MS / 10);
    // The run asked for meanwhile goes once the insert ends, and the bulk lane waits again.
    done('insert');
    expect(order.at(-1)).toBe(current);
  });

  it('gives a closed port`s waits up, and its held connection back', () => {
    const clock = manualClock();
    const lending = createPgliteLending(clock);
    const port = {} as never;
    const granted: number[] = [];
    lending.acquire(port, 'bulk', (lease) => granted.push(lease));
    lending.acquire(port, 'bulk', (lease) => granted.push(lease));
    expect(lending.forget(port)).toBe(true);
    lending.releaseHeld();
    clock.advance(BULK_GRACE_MS);
    expect(granted).toHaveLength(1);
  });
});
