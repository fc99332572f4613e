import { isTerminalEvent } from '@tally/protocol';

/** The fields of a run event the tracker reads. */
export interface SeqTrackedEvent {
  runId: string;
  seq: number;
  /** A coalesced delta stands for fromSeq..seq (sent to a socket that lagged). */
  fromSeq?: number | undefined;
  type: string;
}

/** A run being followed and the seq of the last event handed on. */
export interface RunPosition {
  runId: string;
  lastSeq: number;
}

/**
 * Keeps, per run, the seq of the last event delivered, so every event reaches the application
 * exactly once and in order even when a reconnect replays part of the log or frames arrive out of
 * order: duplicates (seq already delivered) are dropped, early events are held until the gap
 * before them is filled. Runs that reached a terminal event, or were dropped, are not resumed.
 */
export interface SeqTracker<E extends SeqTrackedEvent> {
  /** Follow a run from `afterSeq`: the next event delivered will be `afterSeq + 1`. */
  follow(runId: string, afterSeq: number): void;
  /** Follow a run from seq 0 unless it is already known (keeps its position). */
  ensure(runId: string): void;
  /** Stop following a run: its later events are ignored. */
  drop(runId: string): void;
  /** The events to deliver now, in seq order: none, this one, or this one and held ones after it. */
  accept(event: E): E[];
  /** The seq of the last event delivered, or undefined for a run never followed. */
  lastSeq(runId: string): number | undefined;
  /** True when events after a missing seq are held. */
  hasGap(runId: string): boolean;
  /** Runs to re-subscribe after a reconnect: followed, not finished. */
  openRuns(): RunPosition[];
  /** True once the run's terminal event was delivered. */
  isFinished(runId: string): boolean;
}

interface Entry<E> {
  lastSeq: number;
  state: 'open' | 'finished' | 'dropped';
  held: Map<number, E>;
}

/** Held early events per run beyond which more are dropped (a resubscribe brings them back). */
const MAX_HELD = 10_000;

export function createSeqTracker<E extends SeqTrackedEvent>(): SeqTracker<E> {
  const runs = new Map<string, Entry<E>>();

  const follow = (runId: string, afterSeq: number): void => {
    runs.set(runId, { lastSeq: afterSeq, state: 'open', held: new Map() });
  };

  return {
    follow,
    ensure(runId) {
      if (!runs.has(runId)) follow(runId, 0);
    },
    drop(runId) {
      const entry = runs.get(runId);
      if (entry) {
        entry.state = 'dropped';
        entry.held.clear();
      }
    },
    accept(event) {
      let entry = runs.get(event.runId);
      if (!entry) {
        // An event of a run we never asked about can only be one the server subscribed us to
        // itself (the run our send_message started, before its ack arrived): follow it from 0.
        follow(event.runId, 0);
        entry = runs.get(event.runId)!;
      }
      if (entry.state !== 'open' || event.seq <= entry.lastSeq) return [];
      const first = event.fromSeq ?? event.seq;
      if (first > entry.lastSeq + 1) {
        // Held by the first seq it stands for, which is what the run waits for next.
        if (entry.held.size < MAX_HELD) entry.held.set(first, event);
        return [];
      }
      const out: E[] = [];
      let next: E | undefined = event;
      while (next) {
        out.push(next);
        entry.held.delete(next.fromSeq ?? next.seq);
        entry.lastSeq = next.seq;
        if (isTerminalEvent(next.type)) {
          entry.state = 'finished';
          entry.held.clear();
          break;
        }
        next = entry.held.get(entry.lastSeq + 1);
      }
      // Held events at or below the new position are duplicates now.
      for (const seq of entry.held.keys()) if (seq <= entry.lastSeq) entry.held.delete(seq);
      return out;
    },
    lastSeq: (runId) => runs.get(runId)?.lastSeq,
    hasGap: (runId) => (runs.get(runId)?.held.size ?? 0) > 0,
    openRuns: () =>
      [...runs].filter(([, e]) => e.state === 'open').map(([runId, e]) => ({ runId, lastSeq: e.lastSeq })),
    isFinished: (runId) => runs.get(runId)?.state === 'finished',
  };
}
