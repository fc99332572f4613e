import { useCallback, useEffect, useState } from 'react';
import type { AnswerFeedback, AnswerRating } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';

/** The user's ratings of the open thread's answers, by run id; rate() and clear() save them on the server first. */
export function useThreadFeedback(api: TallyApi, workspaceId: string, threadId: string | null) {
  const [byRun, setByRun] = useState<Record<string, AnswerFeedback>>({});

  useEffect(() => {
    setByRun({});
    if (!threadId) return;
    let current = true;
    api.rest.threadFeedback(workspaceId, threadId).then(
      (list) => current && setByRun(Object.fromEntries(list.map((f) => [f.runId, f]))),
      () => undefined, // ratings are an extra: the thread reads the same without them
    );
    return () => {
      current = false;
    };
  }, [api, workspaceId, threadId]);

  const rate = useCallback(
    async (runId: string, rating: AnswerRating, note: string | null) => {
      const saved = await api.rest.setAnswerFeedback(workspaceId, runId, { rating, note });
      setByRun((all) => ({ ...all, [runId]: saved }));
    },
    [api, workspaceId],
  );
  const clear = useCallback(
    async (runId: string) => {
      await api.rest.deleteAnswerFeedback(workspaceId, runId);
      setByRun(({ [runId]: _removed, ...rest }) => rest);
    },
    [api, workspaceId],
  );
  return { byRun, rate, clear };
}
