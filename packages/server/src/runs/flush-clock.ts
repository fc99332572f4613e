/**
 * When the run emitters' write-behind batches fall due. One clock per worker (a node, or a run
 * thread) makes every streaming run's batch due in the same turn of the event loop, once per
 * interval, so the node's log writer (grouped-writer.ts) puts them all in one statement;
 * with a timer per run they fell due at scattered moments, a statement each.
 */
export interface FlushClock {
  /**
   * Calls `due` at the next tick: at most the clock's interval from now (the tick may already be
   * running for another run, then sooner). Returns a cancel.
   */
  schedule(due: () => void): () => void;
}

export function createFlushClock(intervalMs: number): FlushClock {
  let waiting = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;

  function tick() {
    timer = undefined;
    const due = waiting;
    waiting = new Set();
    for (const call of due) call();
  }

  return {
    schedule(due) {
      waiting.add(due);
      timer ??= setTimeout(tick, intervalMs);
      return () => {
        waiting.delete(due);
        if (waiting.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
}
