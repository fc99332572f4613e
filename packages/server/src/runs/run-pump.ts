import type { Logger } from 'pino';

export interface RunPump {
  /** Claims while there is room and work; wake-ups during a pass coalesce into one more pass. */
  pump(): Promise<void>;
  /**
   * A run ended and freed its slot. A claim that finds nothing is the worker's dearest statement
   * (a locking update over the queue), and most wake-ups find nothing: a run that announced its
   * end on the bus has already woken this node's pump, which claims while there is room. Only a
   * wake-up that found no room (work may be waiting since) or an unannounced end needs one more.
   */
  runEnded(announced: boolean): void;
  /** Resolves once no pass is running (after the worker stopped waking it). */
  idle(): Promise<void>;
}

export interface RunPumpDeps<T> {
  /** Takes up to `limit` runs off the queue, oldest first; none when it is empty. */
  claim(limit: number): Promise<T[]>;
  /** Starts a claimed run (not awaited); `claimedAt` is when its claim was sent, on `clock`. */
  start(run: T, claimedAt: number): void;
  /** Free slots: how many more runs the worker may take now. */
  room(): number;
  isStopping(): boolean;
  clock: () => number;
  logger: Logger;
}

/**
 * Runs one claim statement may take. One at a time made the claim loop the limit under load (each
 * claim waits for a connection behind the running runs' statements: ~40 ms each at 500 runs asked
 * for in 2 s, so runs started at ~25/s); all the free room at once started hundreds of pipelines
 * in one tick, whose CPU burst held live deltas back (DECISIONS, run pipeline CPU). A few per
 * claim keeps both small.
 */
export const CLAIM_BATCH = 8;

/** The worker's claim loop: one pass at a time, claiming while there are free slots and queued runs. */
export function createRunPump<T>(deps: RunPumpDeps<T>): RunPump {
  let claiming = false;
  let rerun = false;
  // A wake-up found the worker full: queued runs may be waiting for the next free slot.
  let turnedAway = false;

  async function pump(): Promise<void> {
    if (claiming) {
      rerun = true;
      return;
    }
    claiming = true;
    try {
      do {
        rerun = false;
        while (!deps.isStopping()) {
          const room = deps.room();
          if (room <= 0) {
            turnedAway = true;
            break;
          }
          const limit = Math.min(room, CLAIM_BATCH);
          const claimedAt = deps.clock();
          const runs = await deps.claim(limit);
          for (const run of runs) deps.start(run, claimedAt);
          // Fewer than asked for: the queue has no more ready now.
          if (runs.length < limit) break;
        }
      } while (rerun && !deps.isStopping());
    } catch (error) {
      deps.logger.error({ err: error }, 'claiming runs failed');
    } finally {
      claiming = false;
    }
  }

  return {
    pump,
    runEnded(announced) {
      if (!deps.isStopping() && (turnedAway || !announced)) {
        turnedAway = false;
        void pump();
      }
    },
    async idle() {
      while (claiming) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
