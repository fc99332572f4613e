import type { Logger } from 'pino';
import type { RunEvent } from '@tally/protocol';
import type { Db } from '../store/database.js';
import type { RunEventLog } from './run-event-log.js';
import { loadRunCheckpoint } from './run-checkpoints.js';
import { createResumeFilter, type ResumeFilter } from './resume-filter.js';

/** Where a claimed run starts from: nothing for a fresh run, an earlier attempt's work for a takeover. */
export interface RunResume {
  /** The values of the steps an earlier attempt completed (its checkpoint), by agent. */
  steps: Record<string, unknown>;
  /** Whether an earlier attempt logged events after run_queued: clients have them already. */
  takenOver: boolean;
  /** Drops what the earlier attempt delivered from what this one emits. */
  filter: ResumeFilter;
}

/**
 * Reads what an earlier attempt left of a run (its checkpoint, and its events after run_queued). A
 * run that logged nothing after run_queued (last_seq 1) has no checkpoint either (one is written only
 * behind a flush of its step's events), so a fresh run reads nothing more than its claim did.
 */
export async function loadRunResume(deps: { db: Db; log: RunEventLog; logger: Logger }, run: { id: string; thread_id: string; last_seq: number }): Promise<RunResume> {
  const earlier = run.last_seq > 1;
  const [checkpoint, tape] = await Promise.all([
    earlier ? loadRunCheckpoint(deps.db, run.id) : Promise.resolve(null),
    earlier ? deps.log.list(run, 1) : Promise.resolve([] as RunEvent[]),
  ]);
  const filter = createResumeFilter(tape, (draft, expected) =>
    deps.logger.warn({ runId: run.id, emitted: draft, expected }, 'the re-run step differs from what clients already have; sending it as new'),
  );
  return { steps: { ...checkpoint?.steps }, takenOver: tape.length > 0, filter };
}
