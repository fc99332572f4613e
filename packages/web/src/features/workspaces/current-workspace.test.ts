import { describe, expect, it } from 'vitest';
import type { Workspace, WorkspaceRole } from '@tally/protocol';
import { ROLE_PERMISSIONS } from '@tally/protocol';
import { orderWorkspaces, pickCurrentWorkspace } from './current-workspace.js';

const workspace = (id: string, personal: boolean, role: WorkspaceRole = 'owner'): Workspace => ({
  id: `00000000-0000-4000-8000-00000000000${id}`,
  name: `w${id}`,
  personal,
  role,
  permissions: [...ROLE_PERMISSIONS[role]],
  createdAt: '2026-12-06T00:00:00.000Z',
});

describe('the current workspace', () => {
  const team = workspace('1', false, 'viewer');
  const personal = workspace('2', true);
  const other = workspace('3', false, 'admin');

  it('lists the personal workspace first, the teams after it in their order', () => {
    expect(orderWorkspaces([team, personal, other]).map((w) => w.id)).toEqual([personal.id, team.id, other.id]);
  });

  it('keeps the remembered workspace while the account is a member of it', () => {
    expect(pickCurrentWorkspace([personal, team], team.id)).toBe(team);
  });

  it('falls back to the personal workspace for a workspace left, unknown, or nothing remembered', () => {
    expect(pickCurrentWorkspace([personal, other], team.id)).toBe(personal);
    expect(pickCurrentWorkspace([team, personal], 'not-an-id')).toBe(personal);
    expect(pickCurrentWorkspace([team, personal], null)).toBe(personal);
  });

  it('has none to show before the list arrives', () => {
    expect(pickCurrentWorkspace([], team.id)).toBeNull();
  });
});
