import { formatMs } from '../../format.js';
import type { ToolCallView } from './run-view.js';

/** A tool call: name, arguments, then result and duration; details collapsed by default. */
export function ToolCall({ call }: { call: ToolCallView }) {
  return (
    <details className={`tool tool-${call.state}`}>
      <summary>
        <span className="tool-name">{call.tool}</span>
        <span className="muted"> by {call.agent}</span>
        <span className="tool-state">
          {call.state === 'running' ? 'running…' : call.state === 'failed' ? 'failed' : 'done'}
          {call.durationMs !== undefined && ` · ${formatMs(call.durationMs)}`}
        </span>
      </summary>
      <div className="tool-body">
        <div className="label">Arguments</div>
        <pre>{pretty(call.args)}</pre>
        {call.error && (
          <>
            <div className="label">Error</div>
            <pre className="bad">{call.error}</pre>
          </>
        )}
        {call.result !== undefined && (
          <>
            <div className="label">Result</div>
            <pre>{pretty(call.result)}</pre>
          </>
        )}
      </div>
    </details>
  );
}

const MAX_CHARS = 20_000;

function pretty(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}\n… (${text.length - MAX_CHARS} more characters)` : text;
}
