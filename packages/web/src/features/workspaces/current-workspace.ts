import type { Workspace } from '@tally/protocol';

/** The switcher's order: the personal workspace first, then the teams in the server's order. */
export function orderWorkspaces(list: readonly Workspace[]): Workspace[] {
  return [...list.filter((w) => w.personal), ...list.filter((w) => !w.personal)];
}

/**
 * The workspace the app shows: the one last picked in this browser while the account is still a
 * member of it, else the personal one (a workspace left, removed from, or another account's pick).
 */
export function pickCurrentWorkspace(list: readonly Workspace[], remembered: string | null): Workspace | null {
  return list.find((w) => w.id === remembered) ?? list.find((w) => w.personal) ?? list[0] ?? null;
}
