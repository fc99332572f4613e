import type { Workspace } from '@tally/protocol';
import { ROLE_LABELS } from '../workspaces/role-labels.js';

export interface WorkspaceSwitcherProps {
  workspaces: Workspace[];
  current: Workspace | null;
  onSelect(workspaceId: string): void;
}

/** How a workspace reads in the switcher: its name and the caller's standing in it. */
export function workspaceOptionLabel(workspace: Workspace): string {
  if (workspace.personal) return /personal/i.test(workspace.name) ? workspace.name : `${workspace.name} (personal)`;
  return `${workspace.name} (${ROLE_LABELS[workspace.role].toLowerCase()})`;
}

/** The top bar's pick of the workspace every page shows: the personal one first, each with the caller's role. */
export function WorkspaceSwitcher({ workspaces, current, onSelect }: WorkspaceSwitcherProps) {
  if (!current) return null;
  return (
    <label className="workspace-switcher">
      <span className="workspace-switcher-label">Workspace</span>
      <select value={current.id} onChange={(e) => onSelect(e.target.value)} title={workspaceOptionLabel(current)}>
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>{workspaceOptionLabel(w)}</option>
        ))}
      </select>
    </label>
  );
}
