import { useCallback, useEffect, useRef, useState } from 'react';
import { isTerminalEvent, type Message, type RunEvent, type Thread } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import type { RunViews } from './use-run-views.js';

/** How many earlier runs of a thread get their cards (events) loaded; older ones show text. */
const RUNS_WITH_CARDS = 10;

export interface ThreadRuns {
  views: RunViews;
  load: (runId: string, threadId: string, events: RunEvent[]) => void;
}

/**
 * The open thread of the workspace (whose it is: the caller's, or another member's shared one),
 * its messages, and the run cards behind them: each run is rebuilt from its
 * log over REST; a run still going is then followed live from the last seq read, and the views
 * fold each seq once, so a reload mid-run shows every word exactly once.
 */
export function useThread(api: TallyApi, workspaceId: string, threadId: string | null, runs: ThreadRuns) {
  const [thread, setThread] = useState<Thread | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const addLocal = useCallback((message: Message) => setMessages((list) => withMessage(list, message)), []);
  // Read inside the effect without making every event reload the thread.
  const viewsRef = useRef(runs.views);
  viewsRef.current = runs.views;

  useEffect(() => {
    setMessages([]);
    setThread(null);
    setError(null);
    if (!threadId) return;
    let cancelled = false;
    setLoading(true);
    void (async () => {
      try {
        const [found, list] = await Promise.all([api.rest.getThread(workspaceId, threadId), api.rest.listMessages(workspaceId, threadId)]);
        if (cancelled) return;
        setThread(found);
        setMessages((shown) => shown.reduce(withMessage, list));
        const runIds = [...new Set(list.filter((m) => m.role === 'user' && m.runId).map((m) => m.runId!))];
        await Promise.all(
          runIds.slice(-RUNS_WITH_CARDS).map(async (runId) => {
            const known = viewsRef.current[runId];
            if (known && known.lastSeq > 0) return; // followed live since this tab saw it, or finished
            const events = await api.rest.listAllRunEvents(workspaceId, runId, 0);
            if (cancelled) return;
            runs.load(runId, threadId, events);
            const last = events.at(-1);
            // Still going: follow it live from where the log ended (the socket drops what it already gave).
            if (!last || !isTerminalEvent(last.type)) await api.ws.subscribe(workspaceId, runId, last?.seq ?? 0);
          }),
        );
      } catch (err) {
        if (!cancelled) setError(errorMessage(err));
      } finally {
        if (!cancelled) setLoading(false);
      }
    })();
    return () => {
      cancelled = true;
    };
    // runs.load is stable; views are read through the ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, workspaceId, threadId]);

  // Another tab or device asked in this thread (or its author, in a thread shared with the
  // workspace): show its question, its run follows.
  useEffect(() => {
    if (!threadId) return;
    void api.ws.watchThread(workspaceId, threadId).catch(() => undefined); // kept across reconnects by the client
    const off = api.ws.on('activity', (frame) => {
      if (frame.threadId !== threadId || frame.status !== 'queued' || !frame.message) return;
      const { id, text } = frame.message;
      addLocal({ id, threadId, role: 'user', content: text, runId: frame.runId, createdAt: new Date().toISOString() });
    });
    return () => {
      off();
      void api.ws.unwatchThread(workspaceId, threadId).catch(() => undefined);
    };
  }, [api, workspaceId, threadId, addLocal]);

  return { thread, messages, loading, error, addLocal };
}

/** Adds a message unless it is there already (our own send is announced by the ack and by the activity frame). */
function withMessage(list: Message[], message: Message): Message[] {
  return list.some((m) => m.id === message.id) ? list : [...list, message];
}
