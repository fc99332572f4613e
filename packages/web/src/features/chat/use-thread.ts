import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { isActive } from './run-view.js';
import type { RunViews } from './use-run-views.js';

/** How many earlier runs of a thread get their cards (events) loaded; older ones show text. */
const RUNS_WITH_CARDS = 10;

export interface ThreadRuns {
  views: RunViews;
  load: (runId: string, threadId: string, events: import('@tally/protocol').RunEvent[]) => void;
  reset: (runId: string, threadId: string) => void;
}

/**
 * The messages of the open thread, and the run cards behind them: finished runs are rebuilt
 * from their log over REST; a run still going is re-subscribed from seq 0 and re-rendered from
 * its events as they replay, then live.
 */
export function useThread(api: TallyApi, threadId: string | null, runs: ThreadRuns) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Read inside the effect without making every event reload the thread.
  const viewsRef = useRef(runs.views);
  viewsRef.current = runs.views;

  useEffect(() => {
    setMessages([]);
    setError(null);
    if (!threadId) return;
    let cancelled = false;
    setLoading(true);
    void (async () => {
      try {
        const list = await api.rest.listMessages(threadId);
        if (cancelled) return;
        setMessages(list);
        const runIds = [...new Set(list.filter((m) => m.role === 'user' && m.runId).map((m) => m.runId!))];
        const latest = runIds.at(-1);
        await Promise.all(
          runIds.slice(-RUNS_WITH_CARDS).map(async (runId) => {
            const known = viewsRef.current[runId];
            if (known && (isActive(known) || runId !== latest)) return; // live already, or complete
            if (runId === latest) {
              const run = await api.rest.getRun(runId);
              if (cancelled) return;
              if (run.status === 'queued' || run.status === 'running') {
                runs.reset(runId, threadId);
                await api.ws.subscribe(runId, 0);
                return;
              }
            }
            const events = await api.rest.listAllRunEvents(runId, 0);
            if (!cancelled) runs.load(runId, threadId, events);
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
    // runs.load / runs.reset are stable; views are read through the ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, threadId]);

  const addLocal = useCallback((message: Message) => setMessages((list) => [...list, message]), []);
  return { messages, loading, error, addLocal };
}
