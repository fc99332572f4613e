import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS, type Message } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { Markdown } from '../../components/Markdown.js';
import { errorMessage } from '../../format.js';
import { RunCard } from './RunCard.js';
import { isActive } from './run-view.js';
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
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  const userMessages = messages.filter((m) => m.role === 'user');
  const answers = new Map(messages.filter((m) => m.role === 'assistant' && m.runId).map((m) => [m.runId!, m.content]));
  const busy = userMessages.some((m) => m.runId && runs.views[m.runId] && isActive(runs.views[m.runId]!));

  // A block body: newer browsers return a Promise from scrollIntoView, which React would call as a cleanup.
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [userMessages.length]);

  async function send(question: string) {
    const trimmed = question.trim();
    if (!trimmed || sending) return;
    setSending(true);
    setSendError(null);
    try {
      const ack = await api.ws.sendMessage(threadId ? { threadId, text: trimmed } : { text: trimmed });
      setText('');
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
    } catch (err) {
      setSendError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void send(text);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send(text);
    }
  }

  return (
    <section className="chat" aria-label="Chat">
      <div className="messages">
        {loading && messages.length === 0 && <p className="muted">Loading the thread…</p>}
        {error && <p className="error" role="alert">{error}</p>}
        {!threadId && !loading && (
          <div className="empty">
            <h2>Ask about your AI spend</h2>
            <p className="muted">Upload usage data, then ask, for example:</p>
            <div className="examples">
              {EXAMPLES.map((q) => (
                <button key={q} type="button" onClick={() => void send(q)} disabled={sending}>{q}</button>
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
        <div ref={end} />
      </div>
      <form className="composer" onSubmit={onSubmit}>
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder={busy ? 'A run is in progress in this thread…' : 'Ask about your AI usage and spend'}
          maxLength={MAX_MESSAGE_CHARS}
          rows={2}
          aria-label="Message"
        />
        <button type="submit" className="primary" disabled={sending || !text.trim()}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </form>
      {sendError && <p className="error composer-error" role="alert">{sendError}</p>}
    </section>
  );
}
