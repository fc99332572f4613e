import { useEffect, useRef, useState } from 'react';
import type { Message, Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { downloadText } from '../../components/download-text.js';
import { Markdown } from '../../components/Markdown.js';
import { errorMessage } from '../../format.js';
import { ROLE_LABELS } from '../workspaces/role-labels.js';
import { AnswerActions } from './AnswerActions.js';
import { Composer } from './Composer.js';
import { QuestionBubble } from './QuestionBubble.js';
import { RunCard } from './RunCard.js';
import { isActive, type RunView } from './run-view.js';
import { exportFileName, threadAsMarkdown } from './thread-markdown.js';
import { useStickToBottom, type StickToBottom } from './use-stick-to-bottom.js';
import { useThread, type ThreadRuns } from './use-thread.js';
import { useThreadFeedback } from './use-thread-feedback.js';
import './chat-actions.css';

export interface ChatViewProps {
  api: TallyApi;
  /** The workspace shown: new threads start in it, its usage is what the agents analyse. */
  workspace: Workspace;
  threadId: string | null;
  /** The thread's title, for its export (the first question stands in while it is unknown). */
  threadTitle?: string | undefined;
  /** A message of the thread to bring into view once loaded (a search hit). */
  focusMessageId?: string | null | undefined;
  runs: ThreadRuns;
  /** A message without a thread started one. */
  onThreadStarted: (threadId: string) => void;
}

const EXAMPLES = ['Where is my AI money going?', 'How much would prompt caching save us?', 'Which calls could use a cheaper model?'];

/** The element id of a message, for search hits and links. */
export const messageElementId = (messageId: string) => `message-${messageId}`;

/**
 * The open thread: each question with its run card and answer actions, and the box to ask the
 * next one. Another member's shared thread reads the same, without the box or any action on it;
 * a role that may not ask the agents (viewer) gets no box either, and is told why.
 */
export function ChatView({ api, workspace, threadId, threadTitle, focusMessageId, runs, onThreadStarted }: ChatViewProps) {
  const workspaceId = workspace.id;
  const { thread, messages, loading, error, addLocal } = useThread(api, workspaceId, threadId, runs);
  const feedback = useThreadFeedback(api, workspaceId, threadId);
  const othersThread = thread !== null && !thread.mine;
  const asks = workspace.permissions.includes('agents.ask');
  const writable = asks && !othersThread;
  const [sendError, setSendError] = useState<string | null>(null);
  const [sendingExample, setSendingExample] = useState(false);
  const scroller = useStickToBottom<HTMLDivElement>();

  const userMessages = messages.filter((m) => m.role === 'user');
  const answers = new Map(messages.filter((m) => m.role === 'assistant' && m.runId).map((m) => [m.runId!, m]));
  const busy = userMessages.some((m) => m.runId && runs.views[m.runId] && isActive(runs.views[m.runId]!));

  useRestAtEndedAnswer(userMessages, runs.views, scroller);
  useBringIntoView(focusMessageId ?? null, !loading && messages.length > 0, scroller.restAt);

  async function send(question: string): Promise<void> {
    const trimmed = question.trim();
    if (!trimmed) return;
    setSendError(null);
    try {
      // `queue`: a message sent while a run is going runs after it rather than being refused.
      const ack = await api.ws.sendMessage(threadId ? { workspaceId, threadId, text: trimmed, onBusy: 'queue' } : { workspaceId, text: trimmed, onBusy: 'queue' });
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

  function exportThread() {
    const title = threadTitle || userMessages[0]?.content || 'Tally thread';
    downloadText(exportFileName(title), threadAsMarkdown(title, messages, new Date()), 'text/markdown;charset=utf-8');
  }

  return (
    <section className="chat" aria-label="Chat">
      {othersThread && (
        <p className="notice read-only-note" role="note">
          Shared with {workspace.name} by {thread.author ?? 'a member'}: you can read it; only its author can ask in it or change it.
        </p>
      )}
      {threadId && userMessages.length > 0 && (
        <div className="chat-toolbar">
          <button type="button" className="small" onClick={exportThread}>Export as Markdown</button>
        </div>
      )}
      <div className="messages" ref={scroller.ref}>
        {loading && messages.length === 0 && <p className="muted">Loading the thread…</p>}
        {error && <p className="error" role="alert">{error}</p>}
        {!threadId && !loading && !asks && (
          <div className="empty">
            <h2>{workspace.name}</h2>
            <p className="muted">
              As {ROLE_LABELS[workspace.role].toLowerCase()} here you read the usage dashboards and the threads members share with the workspace; asking the
              agents needs the member role.
            </p>
          </div>
        )}
        {!threadId && !loading && asks && (
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
          const stored = m.runId ? answers.get(m.runId) : undefined;
          const ended = view ? (isActive(view) ? null : view.status) : stored ? 'completed' : null;
          return (
            <div key={m.id} className="turn" data-run-id={m.runId ?? undefined}>
              <QuestionBubble id={messageElementId(m.id)} text={m.content} onResend={writable ? send : undefined} />
              <div id={stored ? messageElementId(stored.id) : undefined} tabIndex={stored ? -1 : undefined} className="answer-anchor">
                {view ? (
                  <RunCard view={view} fallbackAnswer={stored?.content} onStop={writable ? (id) => api.ws.stopRun(workspaceId, id) : undefined} />
                ) : stored ? (
                  <div className="card answer"><Markdown source={stored.content} /></div>
                ) : null}
              </div>
              {writable && m.runId && ended && ended !== 'queued' && ended !== 'running' && (
                <AnswerActions
                  answer={view?.answer || stored?.content || ''}
                  ended={ended}
                  feedback={feedback.byRun[m.runId]}
                  onRate={(rating, note) => feedback.rate(m.runId!, rating, note)}
                  onClearRating={() => feedback.clear(m.runId!)}
                  onAskAgain={() => send(m.content)}
                />
              )}
            </div>
          );
        })}
      </div>
      {writable && <Composer onSend={send} busy={busy} error={sendError} />}
    </section>
  );
}

/**
 * When a run the user watched ends, the view rests at the start of its answer (not at the last
 * chart the report drew below it); a reader who had scrolled up stays where they are.
 */
function useRestAtEndedAnswer(questions: readonly Message[], views: Record<string, RunView>, scroller: StickToBottom<HTMLDivElement>) {
  const seen = useRef<Record<string, RunView['status']>>({});
  useEffect(() => {
    const before = seen.current;
    const now: Record<string, RunView['status']> = {};
    let ended: string | null = null;
    for (const q of questions) {
      const view = q.runId ? views[q.runId] : undefined;
      if (!view) continue;
      now[view.runId] = view.status;
      const was = before[view.runId];
      if (was && (was === 'queued' || was === 'running') && !isActive(view)) ended = view.runId;
    }
    seen.current = now;
    if (!ended || !scroller.following()) return;
    const turn = scroller.ref.current?.querySelector<HTMLElement>(`[data-run-id="${ended}"]`);
    const start = turn?.querySelector<HTMLElement>('.answer') ?? turn?.querySelector<HTMLElement>('article.run');
    if (start) scroller.restAt(start);
  });
}

/** Brings a message into view and focus once the thread has loaded (a search hit). */
function useBringIntoView(messageId: string | null, ready: boolean, restAt: (el: HTMLElement) => void) {
  const done = useRef<string | null>(null);
  useEffect(() => {
    if (!messageId || !ready || done.current === messageId) return;
    const el = document.getElementById(messageElementId(messageId));
    if (!el) return;
    done.current = messageId;
    restAt(el);
    el.focus({ preventScroll: true });
    el.classList.add('found');
  }, [messageId, ready, restAt]);
}
