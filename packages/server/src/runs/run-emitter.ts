import type { RunEvent, RunEventDraft } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { createSqlRunEventLog, type RunEventLog } from './run-event-log.js';
import { createRunEventSequence } from './run-event-sequence.js';
import { createFlushClock, type FlushClock } from './flush-clock.js';
import type { RunCheckpoint } from './run-checkpoints.js';
import { loggedEvent, type LoggedEvent } from './run-event-rows.js';

export interface RunEmitter {
  /**
   * Gives the event the run's next seq, publishes it at once and buffers it for the log, which
   * gets it within the flush interval (write-behind). Synchronous: a streamed chunk pays no
   * promise here. Throws once a log write has failed.
   */
  emit(draft: RunEventDraft): RunEvent;
  /** Builds the next event without writing it: for a terminal event written in a transaction. */
  next(draft: RunEventDraft): RunEvent;
  publish(event: RunEvent): Promise<void>;
  /**
   * Records a step's checkpoint; it is written right after the flush that logs its events, never
   * on its own (a run that ends before the next flush never writes it: it has no use then).
   */
  checkpoint(checkpoint: RunCheckpoint): void;
  /**
   * Writes everything buffered now (and the pending checkpoint); resolves when the log has every
   * event emitted so far, or rejects with the write's failure.
   */
  flush(): Promise<void>;
  /**
   * Waits for a write in flight, then hands over what is still buffered (for the caller's end
   * transaction) and stops the flush timer. The emitter writes nothing more after it.
   */
  takeBuffered(): Promise<LoggedEvent[]>;
  readonly lastSeq: number;
}

export interface RunEmitterDeps {
  db: Db;
  /** Where events are written; the SQL log over `db` when absent. */
  eventLog?: RunEventLog;
  bus: Bus;
  run: { id: string; threadId: string; lastSeq: number };
  /** How long an event may wait in the buffer before it is written (TALLY_EVENT_FLUSH_MS). */
  flushMs: number;
  /**
   * The worker's clock of `flushMs` that every run's batch falls due on, so they are written in
   * one statement; a clock of this run's own when absent.
   */
  flushClock?: FlushClock;
  /** Writes the run's checkpoint (after the events it refers to are logged). */
  saveCheckpoint?: (checkpoint: RunCheckpoint) => Promise<void>;
  /** A publish that fails is only logged: subscribers fill gaps from the log (asking for a flush). */
  onPublishError: (error: unknown) => void;
  /** A log write failed (another node owns the run now, or the database is gone): the run must stop. */
  onWriteError: (error: unknown) => void;
  /**
   * Whether a failed write is tried again (after `retryMs`) instead of failing the run: the
   * events stay buffered, in order, and go with the next write. None is retried when absent.
   */
  retryWrite?: (error: unknown) => boolean;
  retryMs?: number;
  now?: () => Date;
}

/** A buffer this big is written at once, whatever its age: memory per run stays bounded. */
export const MAX_BUFFERED_EVENTS = 1_000;
export const MAX_BUFFERED_BYTES = 1_000_000;

/**
 * The one writer of a run's events, owned by the worker that holds the run's lease (so it alone
 * numbers them). Publish first, write behind: an event goes out on the bus as it is emitted, in
 * seq order (Bus.publish delivers in call order), and reaches the log in one multi-row write per
 * flush interval, never one per token. A subscriber that finds a gap the log cannot fill yet asks
 * for a flush over the bus (`channels.runFlush`); the emitter then writes at once and publishes
 * the last written event again, so a subscriber still behind sees the gap and reads the log.
 */
export function createRunEmitter(deps: RunEmitterDeps): RunEmitter {
  const { bus, run } = deps;
  const log = deps.eventLog ?? createSqlRunEventLog(deps.db);
  const now = deps.now ?? (() => new Date());
  const channel = channels.runEvents(run.id);
  const clock = deps.flushClock ?? createFlushClock(deps.flushMs);
  // Numbered from the run's last_seq as the claim read it: this worker holds the lease, so it alone writes.
  const sequence = createRunEventSequence(run, now);
  let buffer: LoggedEvent[] = [];
  let bufferBytes = 0;
  let pendingCheckpoint: RunCheckpoint | null = null;
  let lastWrittenRaw: string | null = null;
  let cancelTimer: (() => void) | undefined;
  let writing: Promise<void> | null = null;
  let wanted = false;
  let closed = false;
  let failure: unknown = null;
  // The last write failed in a way worth trying again; the next one waits `retryMs`.
  let retrying: unknown = null;

  const publishRaw = (raw: string) => bus.publish(channel, raw).catch(deps.onPublishError);
  const next = (draft: RunEventDraft) => sequence.next(draft);

  function stopTimer() {
    cancelTimer?.();
    cancelTimer = undefined;
  }

  /** One write at a time, each taking the whole buffer; a request made during a write gets the next. */
  async function writeLoop(): Promise<void> {
    try {
      while (wanted && !closed && (buffer.length > 0 || pendingCheckpoint)) {
        wanted = false;
        stopTimer();
        const batch = buffer;
        const checkpoint = pendingCheckpoint;
        buffer = [];
        bufferBytes = 0;
        pendingCheckpoint = null;
        try {
          if (batch.length > 0) await log.append(batch);
        } catch (error) {
          // Kept for the run's end statement, which writes them with the terminal event if it can.
          buffer = [...batch, ...buffer];
          pendingCheckpoint ??= checkpoint;
          throw error;
        }
        if (batch.length > 0) lastWrittenRaw = batch[batch.length - 1]!.json;
        // Behind its events, never before: a takeover trusts that what it names is logged.
        // The saver handles its own failure: a lost checkpoint only means a step runs again.
        if (checkpoint) await deps.saveCheckpoint?.(checkpoint);
      }
      retrying = null;
    } catch (error) {
      if (!closed && deps.retryWrite?.(error)) retrying = error;
      else {
        failure = error;
        deps.onWriteError(error);
      }
    } finally {
      writing = null;
      // The next batch falls due at the clock's next tick after this write: a streaming run
      // writes at most once per tick, and never two writes of one run at once.
      if (!closed && !failure && buffer.length > 0) startTimer();
    }
  }

  function startTimer() {
    if (cancelTimer) return;
    const due = () => {
      cancelTimer = undefined;
      void requestWrite();
    };
    if (retrying) {
      // Waiting for the database to come back: on a timer of its own, not the shared clock.
      const t = setTimeout(due, Math.max(deps.flushMs, deps.retryMs ?? 0));
      cancelTimer = () => clearTimeout(t);
    } else cancelTimer = clock.schedule(due);
  }

  function requestWrite(): Promise<void> {
    wanted = true;
    writing ??= writeLoop();
    return writing;
  }

  async function flushAll(): Promise<void> {
    while ((buffer.length > 0 || pendingCheckpoint || writing) && !failure && !closed) {
      await requestWrite();
      // Still failing for want of the database: the caller hears of it, the timer tries again later.
      if (retrying) throw retrying;
    }
    if (failure) throw failure;
  }

  return {
    get lastSeq() {
      return sequence.lastSeq;
    },
    next,
    publish: (event) => publishRaw(JSON.stringify(event)),
    checkpoint(checkpoint) {
      pendingCheckpoint = checkpoint;
    },
    async flush() {
      await flushAll();
      // For a subscriber behind the log: the republished event shows it the gap it can now fill.
      if (lastWrittenRaw) await publishRaw(lastWrittenRaw);
    },
    async takeBuffered() {
      while (writing) await writing;
      closed = true;
      stopTimer();
      const taken = buffer;
      buffer = [];
      bufferBytes = 0;
      return taken;
    },
    emit(draft) {
      if (failure) throw failure;
      if (closed) throw new Error('the run has ended: no more events');
      // Serialised once: the same text is published and, later, written to the log.
      const logged = loggedEvent(next(draft));
      // Buffered before it is published: a flush asked for by a subscriber that sees it includes it.
      buffer.push(logged);
      bufferBytes += logged.json.length;
      void publishRaw(logged.json);
      if (!retrying && (buffer.length >= MAX_BUFFERED_EVENTS || bufferBytes >= MAX_BUFFERED_BYTES)) void requestWrite();
      else if (!writing) startTimer();
      return logged.event;
    },
  };
}
