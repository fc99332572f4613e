import { useState } from 'react';
import { Markdown } from '../../components/Markdown.js';
import { errorMessage } from '../../format.js';
import { AgentTimeline } from './AgentTimeline.js';
import { ReportView } from './ReportView.js';
import { isActive, type RunView } from './run-view.js';

export interface RunCardProps {
  view: RunView;
  /** Shown while the run's events are not loaded (an older run's stored answer). */
  fallbackAnswer?: string | undefined;
  onStop: (runId: string) => Promise<void>;
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
      await onStop(view.runId);
    } catch (error) {
      setStopError(errorMessage(error));
    } finally {
      setStopping(false);
    }
  }

  return (
    <article className={`card run run-${view.status}`} aria-busy={active}>
      <header className="run-head">
        <span className={`run-status status-${view.status}`}>
          {active && <span className="spinner" aria-hidden="true" />}
          {STATUS_LABELS[view.status]}
          {active && view.activeAgent && <span className="muted"> · {view.activeAgent}</span>}
        </span>
        {active && (
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
      {answer && (
        <div className="answer">
          <Markdown source={answer} />
          {active && <span className="cursor" aria-hidden="true" />}
        </div>
      )}
      {view.failure && (
        <p className="error" role="alert">
          The run failed ({view.failure.code}): {view.failure.message}
        </p>
      )}
      {view.cancelReason && <p className="notice">Stopped: {view.cancelReason}</p>}
      {view.report && <ReportView report={view.report} />}
    </article>
  );
}
