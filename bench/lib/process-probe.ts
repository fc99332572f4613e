/**
 * Loaded into a measured process (Tally or a baseline) with `--import`, by bench code only: the
 * product has no bench mode. It measures the event-loop delay from inside the process
 * (perf_hooks.monitorEventLoopDelay, a 1 ms timer) and answers the harness over the IPC channel
 * the harness opened. With `--expose-gc` it can also collect garbage before a memory reading,
 * so RSS deltas compare live memory rather than GC timing.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface ProbeRequest {
  type: 'bench:probe';
  id: number;
  /** Run a full GC (twice, to also free what finalizers released) before answering. */
  gc?: boolean;
  /** Start a new event-loop delay window (and garbage-collection count) after answering. */
  resetLoopDelay?: boolean;
}

export interface ProbeAnswer {
  type: 'bench:probe';
  id: number;
  /** Event-loop delay since the last reset, in ms. */
  loopDelay: { p50: number; p99: number; max: number; count: number };
  /**
   * The main thread's garbage collections since the last reset: full ones (mark-compact) and the
   * others, with their pauses' total and longest (ms; Node's gc entries time the final pause, not
   * an incremental marking's steps before it).
   */
  gc: { major: number; majorPauseMs: number; longestPauseMs: number; other: number };
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory of C++ objects bound to JS ones (Buffers, ArrayBuffers), outside the V8 heap. */
  externalBytes: number;
}

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let collections = { major: 0, majorPauseMs: 0, longestPauseMs: 0, other: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail ?? {}).kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        collections.major += 1;
        collections.majorPauseMs += entry.duration;
      } else {
        collections.other += 1;
      }
      collections.longestPauseMs = Math.max(collections.longestPauseMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: ProbeRequest) => {
    if (message?.type !== 'bench:probe') return;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const memory = process.memoryUsage();
    const answer: ProbeAnswer = {
      type: 'bench:probe',
      id: message.id,
      loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, count: delay.count },
      gc: { ...collections },
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
    };
    if (message.resetLoopDelay) {
      delay.reset();
      collections = { major: 0, majorPauseMs: 0, longestPauseMs: 0, other: 0 };
    }
    process.send!(answer);
  });
  // The probe must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
