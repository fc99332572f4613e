import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFlushClock } from './flush-clock.js';

describe('the flush clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires every run scheduled before a tick in that one tick, at most the interval after the first', () => {
    const clock = createFlushClock(250);
    const fired: Array<{ run: string; at: number }> = [];
    const start = Date.now();
    clock.schedule(() => fired.push({ run: 'a', at: Date.now() - start }));
    vi.advanceTimersByTime(100);
    clock.schedule(() => fired.push({ run: 'b', at: Date.now() - start }));
    vi.advanceTimersByTime(149);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([
      { run: 'a', at: 250 },
      { run: 'b', at: 250 },
    ]);
  });

  it('starts the next tick only when a run is scheduled again, and a cancelled run is not called', () => {
    const clock = createFlushClock(250);
    const fired: string[] = [];
    const cancelA = clock.schedule(() => fired.push('a'));
    clock.schedule(() => fired.push('b'));
    cancelA();
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['b']);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(['b']);
    clock.schedule(() => fired.push('c'));
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a run scheduled from inside a tick waits for the next one', () => {
    const clock = createFlushClock(250);
    const fired: string[] = [];
    clock.schedule(() => {
      fired.push('first');
      clock.schedule(() => fired.push('again'));
    });
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['first']);
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['first', 'again']);
  });

  it('clears its timer when the last waiting run is cancelled', () => {
    const clock = createFlushClock(250);
    const cancel = clock.schedule(() => undefined);
    expect(vi.getTimerCount()).toBe(1);
    cancel();
    expect(vi.getTimerCount()).toBe(0);
  });
});
