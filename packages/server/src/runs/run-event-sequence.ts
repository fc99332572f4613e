import { PROTOCOL_VERSION, type RunEvent, type RunEventDraft } from '@tally/protocol';

/**
 * The numbering of one run's events: the one place a seq is given. Whoever writes a run's next
 * events (the run service for run_queued and for the cancel of a run not claimed yet, the worker's
 * emitter while it holds the lease) takes them from a sequence that starts at the run's last_seq.
 */
export interface RunEventSequence {
  /** The run's next event, numbered one after the last. */
  next(draft: RunEventDraft): RunEvent;
  readonly lastSeq: number;
}

/** A sequence after `run.lastSeq` (0 for a new run, whose log is empty). */
export function createRunEventSequence(run: { id: string; threadId: string; lastSeq: number }, now: () => Date): RunEventSequence {
  let seq = run.lastSeq;
  return {
    get lastSeq() {
      return seq;
    },
    next: (draft) => ({ v: PROTOCOL_VERSION, type: draft.type, runId: run.id, threadId: run.threadId, seq: ++seq, ts: now().toISOString(), data: draft.data }) as RunEvent,
  };
}
