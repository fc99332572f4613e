import { useCallback, useEffect, useRef, useState } from 'react';
import type { Thread } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';

/** Typing pauses this long before the server is asked, so a word is one query, not one per key. */
export const SEARCH_DEBOUNCE_MS = 250;

export interface ThreadsState {
  threads: Thread[];
  /** The list has been loaded at least once (an empty list means "none", not "not yet"). */
  loaded: boolean;
  error: string | null;
  query: string;
  setQuery: (query: string) => void;
  refresh: () => Promise<void>;
  rename: (threadId: string, title: string) => Promise<void>;
  remove: (threadId: string) => Promise<void>;
  /** The author shares the thread with the workspace (read-only for the others), or stops. */
  setSharing: (threadId: string, shared: boolean) => Promise<void>;
}

/**
 * The workspace's threads the signed-in user may read (their own and those shared there),
 * searched on the server, kept fresh by the socket's thread activity in that workspace (a run
 * started or ended here, in another tab or on another device).
 */
export function useThreads(api: TallyApi, workspaceId: string): ThreadsState {
  const [threads, setThreads] = useState<Thread[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const queryRef = useRef(query);
  queryRef.current = query;
  // Answers can come back out of order; only the latest request's answer is shown.
  const requestNo = useRef(0);

  const load = useCallback(
    async (q: string) => {
      const no = ++requestNo.current;
      try {
        const list = await api.rest.listThreads(workspaceId, q.trim() ? { q: q.trim() } : {});
        if (no !== requestNo.current) return;
        setThreads(list);
        setLoaded(true);
        setError(null);
      } catch (err) {
        if (no === requestNo.current) setError(errorMessage(err));
      }
    },
    [api, workspaceId],
  );
  const refresh = useCallback(() => load(queryRef.current), [load]);

  // Another workspace: nothing of the last one stays on screen while its list loads.
  useEffect(() => {
    setThreads([]);
    setLoaded(false);
    setError(null);
  }, [workspaceId]);

  useEffect(() => {
    const timer = setTimeout(() => void load(query), query ? SEARCH_DEBOUNCE_MS : 0);
    return () => clearTimeout(timer);
  }, [load, query]);

  useEffect(() => api.ws.on('activity', (frame) => frame.workspaceId === workspaceId && void refresh()), [api, workspaceId, refresh]);

  const rename = useCallback(
    async (threadId: string, title: string) => {
      await api.rest.renameThread(workspaceId, threadId, title);
      setThreads((list) => list.map((t) => (t.id === threadId ? { ...t, title } : t)));
    },
    [api, workspaceId],
  );
  const remove = useCallback(
    async (threadId: string) => {
      await api.rest.deleteThread(workspaceId, threadId);
      setThreads((list) => list.filter((t) => t.id !== threadId));
    },
    [api, workspaceId],
  );
  const setSharing = useCallback(
    async (threadId: string, shared: boolean) => {
      const updated = await api.rest.setThreadSharing(workspaceId, threadId, shared);
      setThreads((list) => list.map((t) => (t.id === threadId ? { ...t, shared: updated.shared } : t)));
    },
    [api, workspaceId],
  );

  return { threads, loaded, error, query, setQuery, refresh, rename, remove, setSharing };
}
