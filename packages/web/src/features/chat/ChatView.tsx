import { useState } from 'react';
import type { Message } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { Markdown } from '../../components/Markdown.js';
import { errorMessage } from '../../format.js';
import { Composer } from './Composer.js';
import { RunCard } from './RunCard.js';
import { isActive } from './run-view.js';
import { useStickToBottom } from './use-stick-to-bottom.js';
import { useThread, type ThreadRuns } from './use-thread.js';

export interface ChatViewProps {
  api: TallyApi;
  threadId: string | null;
  runs: ThreadRuns;
  /** A message without a thread started one. */
  onThreadStarted: (threadId: string) => void;
}

const EXAMPLES = ['Where is my AI money going?', 'How much would prompt caching save us?', 'Which calls could use a cheaper model?'];

/** The open thread: each question with its run card, and the box to ask the next one. */
export function ChatView({ api, threadId, runs, onThreadStarted }: ChatViewProps) {
  const { messages, loading, error, addLocal } = useThread(api, threadId, runs);
  const [sendError, setSendError] = useState<string | null>(null);
  const [sendingExample, setSendingExample] = useState(false);
  const scroller = useStickToBottom<HTMLDivElement>();

  const userMessages = messages.filter((m) => m.role === 'user');
  const answers = new Map(messages.filter((m) => m.role === 'assistant' && m.runId).map((m) => [m.runId!, m.content]));
  const busy = userMessages.some((m) => m.runId && runs.views[m.runId] && isActive(runs.views[m.runId]!));

  async function send(question: string): Promise<void> {
    const trimmed = question.trim();
    if (!trimmed) return;
    setSendError(null);
    try {
      // `queue`: a message sent while a run is going runs after it rather than being refused.
      const ack = await api.ws.sendMessage(threadId ? { threadId, text: trimmed, onBusy: 'queue' } : { text: trimmed, onBusy: 'queue' });
      const local: Message = {
        id: ack.messageId,
        threadId: ack.threadId,
        role: 'user',
        content: trimmed,
        runId: ack.runId,
        createdAt: new Date().toISOString(),
      };
      if (ack.threadId === threadId) addLocal(local);
      else onThreadStarted(ack.threadId);
      scroller.scrollToEnd();
    } catch (err) {
      setSendError(errorMessage(err));
      throw err;
    }
  }

  return (
    <section className="chat" aria-label="Chat">
      <div className="messages" ref={scroller.ref}>
        {loading && messages.length === 0 && <p className="muted">Loading the thread…</p>}
        {error && <p className="error" role="alert">{error}</p>}
        {!threadId && !loading && (
          <div className="empty">
            <h2>Ask about your AI spend</h2>
            <p className="muted">
              Upload usage data on the <a href="#/usage">Usage</a> page, then ask, for example:
            </p>
            <div className="examples">
              {EXAMPLES.map((q) => (
                <button
                  key={q}
                  type="button"
                  disabled={sendingExample}
                  onClick={() => {
                    setSendingExample(true);
                    send(q).catch(() => undefined).finally(() => setSendingExample(false));
                  }}
                >
                  {q}
                </button>
              ))}
            </div>
          </div>
        )}
        {userMessages.map((m) => {
          const view = m.runId ? runs.views[m.runId] : undefined;
          return (
            <div key={m.id} className="turn">
              <div className="bubble user">{m.content}</div>
              {view ? (
                <RunCard view={view} fallbackAnswer={m.runId ? answers.get(m.runId) : undefined} onStop={(id) => api.ws.stopRun(id)} />
              ) : m.runId && answers.has(m.runId) ? (
                <div className="card answer"><Markdown source={answers.get(m.runId)!} /></div>
              ) : null}
            </div>
          );
        })}
      </div>
      <Composer onSend={send} busy={busy} error={sendError} />
    </section>
  );
}
