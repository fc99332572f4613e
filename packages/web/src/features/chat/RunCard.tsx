import { useState } from 'react';
import { ERROR_CODES, type ErrorCode } from '@tally/protocol';
import { Markdown } from '../../components/Markdown.js';
import { errorMessage } from '../../format.js';
import { AgentTimeline } from './AgentTimeline.js';
import { ReportView } from './ReportView.js';
import { isActive, type RunView } from './run-view.js';

export interface RunCardProps {
  view: RunView;
  /** Shown while the run's events are not loaded (an older run's stored answer). */
  fallbackAnswer?: string | undefined;
  /** Absent: the reader may not stop it (another member's shared thread). */
  onStop?: ((runId: string) => Promise<void>) | undefined;
}

const STATUS_LABELS: Record<RunView['status'], string> = {
  queued: 'Queued',
  running: 'Working',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Stopped',
};

/** One run, live: status, the agents' timeline and tool calls, the answer as it streams, the report. */
export function RunCard({ view, fallbackAnswer, onStop }: RunCardProps) {
  const active = isActive(view);
  const [stopping, setStopping] = useState(false);
  const [stopError, setStopError] = useState<string | null>(null);
  const answer = view.answer || fallbackAnswer || '';

  async function stop() {
    setStopping(true);
    setStopError(null);
    try {
      await onStop?.(view.runId);
    } catch (error) {
      setStopError(errorMessage(error));
    } finally {
      setStopping(false);
    }
  }

  return (
    <article className={`card run run-${view.status}`} aria-busy={active} aria-label={`Run: ${STATUS_LABELS[view.status]}`}>
      <header className="run-head">
        {/* Announced politely on each change of state or agent, never per streamed word. */}
        <span className={`run-status status-${view.status}`} role="status" aria-live="polite">
          {active && <span className="spinner" aria-hidden="true" />}
          {STATUS_LABELS[view.status]}
          {view.status === 'queued' && <span className="muted"> · runs after the current one</span>}
          {active && view.activeAgent && <span className="muted"> · {view.activeAgent}</span>}
        </span>
        {active && onStop && (
          <button type="button" className="danger small" onClick={() => void stop()} disabled={stopping}>
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        )}
      </header>
      {stopError && <p className="error" role="alert">{stopError}</p>}
      <details className="run-steps" open={active}>
        <summary>Steps ({view.timeline.length})</summary>
        <AgentTimeline view={view} />
      </details>
      {(answer || active) && (
        // While the run goes, the answer's place is held open so the first words move nothing.
        <div className={active ? 'answer answer-live' : 'answer'}>
          {answer ? <Markdown source={answer} streaming={active} /> : <p className="muted">The answer will appear here.</p>}
          {active && <span className="cursor" aria-hidden="true" />}
        </div>
      )}
      {view.failure && (
        <p className="error run-failure" role="alert">
          The run failed: {failureTitle(view.failure.code)} {view.failure.message !== failureTitle(view.failure.code) && view.failure.message}{' '}
          <code>{view.failure.code}</code>
        </p>
      )}
      {view.cancelReason && <p className="notice">Stopped: {view.cancelReason}</p>}
      {view.report && <ReportView report={view.report} />}
    </article>
  );
}

/** The stable wording of an error code, so a failure reads the same whichever node reported it. */
function failureTitle(code: string): string {
  return code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].message : 'Something went wrong.';
}
