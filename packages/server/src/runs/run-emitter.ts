import type { RunEvent, RunEventDraft } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { createSqlRunEventLog, toRunEvent, type RunEventLog } from './run-event-log.js';

export interface RunEmitter {
  /**
   * Gives the event the run's next seq and queues it; the writer appends it to the log, then
   * publishes it, in seq order. Resolves once queued: `idle()` waits for the writes.
   */
  emit(draft: RunEventDraft): Promise<RunEvent>;
  /** Builds the next event without writing it: for a terminal event written in a transaction. */
  next(draft: RunEventDraft): RunEvent;
  publish(event: RunEvent): Promise<void>;
  /** Resolves when every emit so far has been written and published (or has failed). */
  idle(): Promise<void>;
  readonly lastSeq: number;
}

/**
 * The one writer of a run's events, owned by the worker that holds the run's lease. Emits are
 * chained so seqs reach the log and the bus in order even when agents emit concurrently.
 */
export function createRunEmitter(deps: {
  db: Db;
  /** Where events are written; the SQL log over `db` when absent. */
  eventLog?: RunEventLog;
  bus: Bus;
  run: { id: string; threadId: string; lastSeq: number };
  /** A publish that fails is only logged: the event is in the log, and subscribers fill gaps from it. */
  onPublishError: (error: unknown) => void;
  /** A log write failed (another node owns the run now, or the database is gone): the run must stop. */
  onWriteError: (error: unknown) => void;
  now?: () => Date;
}): RunEmitter {
  const { bus, run } = deps;
  const log = deps.eventLog ?? createSqlRunEventLog(deps.db);
  const now = deps.now ?? (() => new Date());
  let seq = run.lastSeq;
  let pending: RunEvent[] = [];
  let flushing: Promise<void> | null = null;
  let failure: unknown = null;

  const publish = (event: RunEvent) => bus.publish(channels.runEvents(event.runId), JSON.stringify(event)).catch(deps.onPublishError);
  const next = (draft: RunEventDraft) => toRunEvent(run.id, run.threadId, ++seq, draft, now());

  /**
   * One writer per run: whatever was emitted while the previous write was in flight goes into
   * the next one, as a single multi-row insert, then out on the bus in seq order. An agent that
   * streams faster than the database writes costs one write per round trip, not one per token.
   */
  async function flush(): Promise<void> {
    try {
      while (pending.length > 0) {
        const batch = pending;
        pending = [];
        await log.append(batch);
        for (const event of batch) await publish(event);
      }
    } catch (error) {
      failure = error;
      pending = [];
      deps.onWriteError(error);
    } finally {
      flushing = null;
    }
  }

  return {
    get lastSeq() {
      return seq;
    },
    next,
    publish,
    async idle() {
      while (flushing) await flushing;
    },
    async emit(draft) {
      if (failure) throw failure;
      const event = next(draft);
      pending.push(event);
      flushing ??= flush();
      return event;
    },
  };
}
