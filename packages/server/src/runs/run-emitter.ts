import type { RunEvent, RunEventDraft } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { appendRunEvents, toRunEvent } from './run-event-log.js';

export interface RunEmitter {
  /** Gives the event the run's next seq, appends it to the log, then publishes it. */
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
  bus: Bus;
  run: { id: string; threadId: string; lastSeq: number };
  /** A publish that fails is only logged: the event is in the log, and subscribers fill gaps from it. */
  onPublishError: (error: unknown) => void;
  now?: () => Date;
}): RunEmitter {
  const { db, bus, run } = deps;
  const now = deps.now ?? (() => new Date());
  let seq = run.lastSeq;
  let chain: Promise<unknown> = Promise.resolve();

  const publish = (event: RunEvent) => bus.publish(channels.runEvents(event.runId), JSON.stringify(event)).catch(deps.onPublishError);
  const next = (draft: RunEventDraft) => toRunEvent(run.id, run.threadId, ++seq, draft, now());

  return {
    get lastSeq() {
      return seq;
    },
    next,
    publish,
    async idle() {
      await chain;
    },
    emit(draft) {
      const event = next(draft);
      const written = chain.then(async () => {
        await appendRunEvents(db, [event]);
        await publish(event);
        return event;
      });
      // A failed write must not wedge the chain for the events after it; the caller sees the error.
      chain = written.catch(() => undefined);
      return written;
    },
  };
}
