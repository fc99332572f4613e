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
  /** Takes the next run off the queue, or nothing when it is empty. */
  claim(): Promise<T | undefined>;
  /** Starts a claimed run (not awaited); `claimedAt` is when its claim was sent, on `clock`. */
  start(run: T, claimedAt: number): void;
  hasRoom(): boolean;
  isStopping(): boolean;
  clock: () => number;
  logger: Logger;
}

/** The worker's claim loop: one pass at a time, as many claims as there are free slots. */
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
          if (!deps.hasRoom()) {
            turnedAway = true;
            break;
          }
          const claimedAt = deps.clock();
          const run = await deps.claim();
          if (run === undefined) break;
          deps.start(run, claimedAt);
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
