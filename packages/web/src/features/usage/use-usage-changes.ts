import { useEffect } from 'react';
import type { TallyApi } from '../../api/tally-api.js';

/**
 * After a change is heard, how long to wait for more before reading again. The server already
 * sends at most about one usage_changed a second per workspace; this only folds the frame of an
 * upload this tab made into the read its own upload triggers, and a burst after a reconnect.
 */
export const USAGE_REFRESH_DEBOUNCE_MS = 300;

/**
 * Calls `refresh` when the workspace's usage changed on the server (the usage_changed frame: an
 * upload from anywhere, an OTLP export, a connector's sync), debounced, and after the socket came
 * back from a drop (frames sent meanwhile are lost). Frames of other workspaces are ignored.
 */
export function useUsageChanges(api: TallyApi, workspaceId: string, refresh: () => void): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        refresh();
      }, USAGE_REFRESH_DEBOUNCE_MS);
    };
    let dropped = false;
    const offChanged = api.ws.on('usageChanged', (frame) => {
      if (frame.workspaceId === workspaceId) soon();
    });
    const offStatus = api.ws.on('status', (status) => {
      if (status === 'reconnecting' || status === 'closed') dropped = true;
      else if (status === 'open' && dropped) {
        dropped = false;
        soon();
      }
    });
    return () => {
      offChanged();
      offStatus();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, workspaceId, refresh]);
}
