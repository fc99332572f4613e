import type { RunWrites } from './in-process-tally.js';

/** What the counted event-log writes say against the batching targets. */
export interface WriteCounts {
  runs: number;
  /** Most writes of one run within any 250 ms while it streamed (the run's writer, outside its start and end transactions). */
  maxStreamWritesPer250ms: number;
  /** Mean writes per run by its writer. */
  meanStreamWrites: number;
  /** Runs whose writes all fell within 250 ms, and the most transactions that wrote events of one of them. */
  shortRuns: number;
  maxTransactionsShortRun: number;
  /** Most transactions that wrote events of any one run. */
  maxTransactions: number;
  /** Most events one write carried. */
  maxEventsPerWrite: number;
}

export const WINDOW_MS = 250;

export function countWrites(runs: RunWrites[]): WriteCounts {
  let maxWindow = 0;
  let streamWrites = 0;
  let shortRuns = 0;
  let maxShort = 0;
  let maxEvents = 0;
  let maxTransactions = 0;
  for (const run of runs) {
    const stream = run.writes.filter((w) => !w.inTransaction).map((w) => w.at);
    streamWrites += stream.length;
    for (let i = 0, j = 0; j < stream.length; j++) {
      while (stream[j]! - stream[i]! >= WINDOW_MS) i++;
      maxWindow = Math.max(maxWindow, j - i + 1);
    }
    for (const w of run.writes) maxEvents = Math.max(maxEvents, w.events);
    maxTransactions = Math.max(maxTransactions, run.writes.length);
    const times = run.writes.map((w) => w.at);
    if (times.length > 0 && Math.max(...times) - Math.min(...times) < WINDOW_MS) {
      shortRuns++;
      maxShort = Math.max(maxShort, run.writes.length);
    }
  }
  return {
    runs: runs.length,
    maxStreamWritesPer250ms: maxWindow,
    meanStreamWrites: runs.length === 0 ? 0 : streamWrites / runs.length,
    shortRuns,
    maxTransactionsShortRun: maxShort,
    maxTransactions,
    maxEventsPerWrite: maxEvents,
  };
}
