import type { RunEventDraft } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import type { PipelineResult } from './run-context.js';

/** Why a run was aborted: the reason travels as the AbortSignal's reason. */
export class RunStopped extends Error {
  constructor(readonly by: 'user' | 'shutdown' | 'lease-lost') {
    super(by === 'user' ? 'Stopped by the user.' : by === 'shutdown' ? 'The node shut down.' : 'Another node owns the run now.');
    this.name = 'RunStopped';
  }
}

/** Aborts the run with the reason, unless it was aborted already (the first reason holds). */
export function stopRun(controller: AbortController, by: RunStopped['by']): void {
  if (!controller.signal.aborted) controller.abort(new RunStopped(by));
}

/** How a run's pipeline ended on this node. */
export type RunOutcome = { kind: 'completed'; result: PipelineResult } | { kind: 'stopped'; reason: unknown } | { kind: 'failed'; error: unknown };

export type TerminalStatus = 'completed' | 'failed' | 'cancelled';

/** Who stopped a stopped run; a stop of unknown origin counts as the user's. */
export function stoppedBy(outcome: RunOutcome): RunStopped['by'] | null {
  if (outcome.kind !== 'stopped') return null;
  return outcome.reason instanceof RunStopped ? outcome.reason.by : 'user';
}

/**
 * The terminal event and final status of an outcome. A failure shows its code and message only
 * when it is one of ours (an AppError); anything else is an internal error, its details in the log.
 */
export function terminalOf(outcome: RunOutcome, messageId: string): { draft: RunEventDraft; status: TerminalStatus } {
  switch (outcome.kind) {
    case 'completed':
      return { status: 'completed', draft: { type: 'run_completed', data: { messageId, answer: outcome.result.answer, report: outcome.result.report } } };
    case 'stopped':
      return { status: 'cancelled', draft: { type: 'run_cancelled', data: { reason: 'Stopped by the user.' } } };
    case 'failed': {
      const error = outcome.error;
      return {
        status: 'failed',
        draft: {
          type: 'run_failed',
          data: isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'The run failed because of an internal error.' },
        },
      };
    }
    default: {
      const never: never = outcome;
      throw new Error(`unexpected outcome ${String(never)}`);
    }
  }
}
