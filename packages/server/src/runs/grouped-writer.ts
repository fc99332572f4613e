export interface GroupedWriter<T> {
  /**
   * Queues one run's rows (in order) for the next statement; resolves once they are written,
   * rejects with this run's failure. A caller has at most one append of a run in flight.
   */
  append(rows: T[]): Promise<void>;
}

export interface GroupedWriterDeps<T> {
  /** Writes the rows of many runs in one statement, all or nothing. */
  writeMany(rows: T[]): Promise<void>;
  /** Writes one run's rows on their own (after a shared statement failed because of one run). */
  writeOne(rows: T[]): Promise<void>;
  /**
   * Whether a failure is every run's (the database is away): then each run hears it as it is.
   * Any other failure may be one run's (another node wrote its seq, its run row is gone), so each
   * run's events are written again on their own and only that run fails.
   */
  isShared(error: unknown): boolean;
  /** Most rows one statement carries; a bigger queue takes several. */
  maxRows?: number;
}

/** About 2 MB in one statement at a delta event's size. */
const DEFAULT_MAX_ROWS = 10_000;

interface Pending<T> {
  rows: T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A node's one writer of a kind of run rows (issue 19): the run event log's write-behind batches,
 * the runs' checkpoints. Every run's rows that are due go in ONE multi-row statement with every
 * other run's, instead of a statement per run per flush interval (at 64 live runs the log alone
 * was ~250 statements a second, each waiting its turn for a pooled connection ahead of the runs'
 * own reads). Rows queued in the same turn of the event loop (the emitters' flush clock fires
 * them together) and while a statement is in flight go together in the next one; one statement
 * at a time, so a writer takes at most one connection.
 *
 * What it keeps: each run's rows arrive in its order (a run has one append in flight); nothing
 * is acknowledged before its statement committed; a failure of one run's rows (the (run_id, seq)
 * conflict that fences a lost lease) fails that run alone and writes nothing of it: the shared
 * statement is all or nothing, and after a failure that may be one run's, each run's rows are
 * written again on their own.
 */
export function createGroupedWriter<T>(deps: GroupedWriterDeps<T>): GroupedWriter<T> {
  const maxRows = deps.maxRows ?? DEFAULT_MAX_ROWS;
  let queue: Array<Pending<T>> = [];
  let draining = false;

  /** The queue's head up to maxRows (at least one run's rows, whatever their number). */
  function takeBatch(): Array<Pending<T>> {
    let count = 0;
    let end = 0;
    while (end < queue.length && (end === 0 || count + queue[end]!.rows.length <= maxRows)) {
      count += queue[end]!.rows.length;
      end++;
    }
    const batch = queue.slice(0, end);
    queue = queue.slice(end);
    return batch;
  }

  async function write(batch: Array<Pending<T>>): Promise<void> {
    try {
      await deps.writeMany(batch.flatMap((p) => p.rows));
      for (const p of batch) p.resolve();
    } catch (error) {
      if (batch.length === 1 || deps.isShared(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      // One run's conflict rolled the statement back for all: each run on its own now, in turn
      // (one connection), so only the run whose write is refused hears of it.
      for (const p of batch) await deps.writeOne(p.rows).then(p.resolve, p.reject);
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await write(takeBatch());
    } finally {
      draining = false;
    }
  }

  return {
    append(rows) {
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        if (!draining) {
          draining = true;
          // The rest of this turn's batches (the flush clock fires every due run in one) join it.
          setImmediate(() => void drain());
        }
      });
    },
  };
}
