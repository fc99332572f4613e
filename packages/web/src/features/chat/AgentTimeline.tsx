import { formatMs } from '../../format.js';
import type { RunView } from './run-view.js';
import { ToolCall } from './ToolCall.js';

/** Which agent worked when, what it thought, and the tools it ran, in event order. */
export function AgentTimeline({ view }: { view: RunView }) {
  if (view.timeline.length === 0) return <p className="muted">Queued…</p>;
  return (
    <ol className="timeline">
      {view.timeline.map((item) => {
        switch (item.kind) {
          case 'agent':
            return (
              <li key={item.seq} className={`tl-agent tl-${item.phase}`}>
                <span className="agent">{item.agent}</span>{' '}
                {item.phase === 'started' ? (
                  <span className="muted">started</span>
                ) : (
                  <span className="muted">
                    done{item.durationMs !== undefined && ` in ${formatMs(item.durationMs)}`}
                    {item.summary && ` — ${item.summary}`}
                  </span>
                )}
              </li>
            );
          case 'thinking':
            return (
              <li key={item.seq} className="tl-thinking">
                <span className="agent">{item.agent}</span> <span className="thought">{item.text}</span>
              </li>
            );
          case 'tool': {
            const call = view.tools[item.toolCallId];
            return call ? (
              <li key={item.seq} className="tl-tool">
                <ToolCall call={call} />
              </li>
            ) : null;
          }
          default: {
            const never: never = item;
            return never;
          }
        }
      })}
    </ol>
  );
}
