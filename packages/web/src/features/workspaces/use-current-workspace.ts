import { useCallback, useEffect, useRef, useState } from 'react';
import type { Workspace, WorkspaceRole } from '@tally/protocol';
import type { SavedSession } from '../../api/saved-session.js';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { orderWorkspaces, pickCurrentWorkspace } from './current-workspace.js';
import { ROLE_LABELS } from './role-labels.js';

export interface CurrentWorkspace {
  /** The caller's workspaces, the personal one first. */
  workspaces: Workspace[];
  /** The workspace every page shows; null until the list first arrives. */
  current: Workspace | null;
  error: string | null;
  /** Why the app switched workspace by itself, or a role changed (shown until dismissed). */
  notice: string | null;
  dismissNotice(): void;
  select(workspaceId: string): void;
  /** Reads the list again (a workspace made, joined, left; a role changed). */
  reload(): Promise<void>;
}

/**
 * The workspace switcher's state: the list, the one picked (remembered per browser, checked
 * against the list on every load), and the server's word that access ended, from the socket
 * (workspace_access_ended) or a refused request (WORKSPACE_NOT_FOUND / WORKSPACE_FORBIDDEN): the
 * list is read again, and a workspace the person is out of gives way to their personal one.
 */
export function useCurrentWorkspace(api: TallyApi, saved: SavedSession): CurrentWorkspace {
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [pickedId, setPickedId] = useState<string | null>(() => saved.lastWorkspaceId());
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const requestNo = useRef(0);

  const reload = useCallback(async () => {
    const no = ++requestNo.current;
    try {
      const list = orderWorkspaces(await api.rest.workspaces.list());
      if (no !== requestNo.current) return;
      setWorkspaces(list);
      setError(null);
    } catch (err) {
      if (no === requestNo.current) setError(errorMessage(err));
    }
  }, [api]);

  useEffect(() => void reload(), [reload]);

  const current = pickCurrentWorkspace(workspaces, pickedId);
  // What was picked but is no longer the account's is forgotten, so the fallback sticks.
  useEffect(() => {
    if (current && current.id !== pickedId) {
      setPickedId(current.id);
      saved.saveLastWorkspaceId(current.id);
    }
  }, [current, pickedId, saved]);

  const select = useCallback(
    (workspaceId: string) => {
      setPickedId(workspaceId);
      saved.saveLastWorkspaceId(workspaceId);
      setNotice(null);
    },
    [saved],
  );

  // The latest list and pick, for the listeners below (registered once).
  const latest = useRef({ workspaces, current });
  latest.current = { workspaces, current };

  const accessChanged = useCallback(
    (workspaceId: string, role: WorkspaceRole | null | 'unknown') => {
      const { workspaces: list, current: shown } = latest.current;
      const name = list.find((w) => w.id === workspaceId)?.name ?? 'a workspace';
      if (role === null && shown?.id === workspaceId) {
        const personal = list.find((w) => w.personal);
        setNotice(`You no longer have access to ${name}; showing ${personal ? personal.name : 'your personal workspace'}.`);
        if (personal) {
          setPickedId(personal.id);
          saved.saveLastWorkspaceId(personal.id);
        }
      } else if (role !== null && role !== 'unknown' && shown?.id === workspaceId) {
        setNotice(`Your role in ${name} is now ${ROLE_LABELS[role].toLowerCase()}.`);
      }
      void reload();
    },
    [reload, saved],
  );

  useEffect(() => {
    const offRefusals = api.refusals.on((refusal) => accessChanged(refusal.workspaceId, refusal.code === 'WORKSPACE_NOT_FOUND' ? null : 'unknown'));
    const offFrames = api.ws.on('workspaceAccessEnded', (frame) => accessChanged(frame.workspaceId, frame.role));
    return () => {
      offRefusals();
      offFrames();
    };
  }, [api, accessChanged]);

  return { workspaces, current, error, notice, dismissNotice: () => setNotice(null), select, reload };
}
