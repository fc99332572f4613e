import { formatMs } from '../../format.js';
import { isActive, type RunView } from './run-view.js';
import { ToolCall } from './ToolCall.js';
import { useStickToBottom } from './use-stick-to-bottom.js';

/**
 * Which agent worked when, what it thought, and the tools it ran, in event order. While the run
 * goes it has a fixed height and follows its newest line, so the answer below never moves.
 */
export function AgentTimeline({ view }: { view: RunView }) {
  const scroller = useStickToBottom<HTMLOListElement>();
  return (
    <ol className={isActive(view) ? 'timeline timeline-live' : 'timeline'} ref={scroller.ref} aria-label="Agent steps">
      {view.timeline.length === 0 && <li className="muted">Waiting for an agent…</li>}
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
