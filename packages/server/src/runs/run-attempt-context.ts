import type { RunContext } from './run-context.js';
import type { RunEmitter } from './run-emitter.js';
import type { RunLeases } from './run-leases.js';
import type { RunResume } from './run-resume.js';

export interface RunAttemptContextDeps {
  run: { id: string; threadId: string; workspaceId: string; user: { id: string; email: string }; text: string; firstInThread: boolean };
  signal: AbortSignal;
  leases: Pick<RunLeases, 'whenHeld'>;
  emitter: Pick<RunEmitter, 'emit' | 'checkpoint' | 'lastSeq'>;
  resume: Pick<RunResume, 'steps' | 'filter'>;
  /** Called after the attempt's first event went out. */
  onFirstEmit?: () => void;
}

/**
 * The RunContext of one attempt at a run on this node: events go out only while the lease is
 * surely held, minus what an earlier attempt delivered; completed steps are restored from, and
 * recorded into, the run's checkpoint.
 */
export function createRunAttemptContext(deps: RunAttemptContextDeps): RunContext {
  const { run, signal, leases, emitter, resume, onFirstEmit } = deps;
  const steps = { ...resume.steps };
  let firstEmit = true;
  return {
    user: run.user,
    workspaceId: run.workspaceId,
    threadId: run.threadId,
    runId: run.id,
    text: run.text,
    firstInThread: run.firstInThread,
    signal,
    emit: async (draft) => {
      // Nothing is published unless this node surely still holds the lease: after a database
      // outage longer than it, another node may be taking the run over.
      const unsure = leases.whenHeld(run.id, signal);
      if (unsure) await unsure;
      signal.throwIfAborted();
      const admitted = resume.filter.admit(draft);
      if (!admitted) return;
      emitter.emit(admitted);
      if (firstEmit) onFirstEmit?.();
      firstEmit = false;
    },
    restoreStep(agent) {
      if (!(agent in steps)) return undefined;
      resume.filter.skipStep(agent);
      return steps[agent];
    },
    async saveStep(agent, value) {
      steps[agent] = value;
      // Written right after the next flush of the run's events (never before them: a takeover
      // trusts what it says is logged), never a write of its own: a fast run ends before its
      // first flush and writes none. A node that dies first leaves the previous checkpoint, and
      // the step is run again, as for a death mid-step.
      emitter.checkpoint({ steps: { ...steps }, seq: emitter.lastSeq });
    },
  };
}
