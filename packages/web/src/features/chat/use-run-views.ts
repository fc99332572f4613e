import { useCallback, useEffect, useReducer } from 'react';
import type { WsClient } from '@tally/client';
import type { RunEvent } from '@tally/protocol';
import { applyRunEvent, emptyRunView, type RunView } from './run-view.js';

export type RunViews = Record<string, RunView>;

export type RunViewsAction =
  | { type: 'event'; event: RunEvent }
  | { type: 'load'; runId: string; threadId: string; events: RunEvent[] };

export function runViewsReducer(state: RunViews, action: RunViewsAction): RunViews {
  switch (action.type) {
    case 'event': {
      const before = state[action.event.runId];
      const after = applyRunEvent(before, action.event);
      return after === before ? state : { ...state, [action.event.runId]: after };
    }
    case 'load': {
      // Folded into what the socket may already have shown: both are contiguous from seq 1 and
      // each seq is applied once, so the view only moves forward.
      const before = state[action.runId] ?? emptyRunView(action.runId, action.threadId);
      const after = action.events.reduce(applyRunEvent, before);
      return after === before && state[action.runId] ? state : { ...state, [action.runId]: after };
    }
    default: {
      const never: never = action;
      return never;
    }
  }
}

/** Views of every run seen in this tab, fed live by the WebSocket and by loaded run logs. */
export function useRunViews(ws: WsClient) {
  const [views, dispatch] = useReducer(runViewsReducer, {});
  useEffect(() => ws.on('event', (event) => dispatch({ type: 'event', event })), [ws]);
  const load = useCallback(
    (runId: string, threadId: string, events: RunEvent[]) => dispatch({ type: 'load', runId, threadId, events }),
    [],
  );
  return { views, load };
}
