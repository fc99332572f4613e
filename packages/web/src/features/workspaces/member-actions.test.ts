import { describe, expect, it } from 'vitest';
import type { Workspace, WorkspaceMember, WorkspaceRole } from '@tally/protocol';
import { memberActions } from './member-actions.js';

const SELF = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const ws = (role: WorkspaceRole, personal = false): Workspace => ({ id: SELF, name: 'Team', personal, role, permissions: [], createdAt: '' });
const member = (role: WorkspaceRole, userId = OTHER): WorkspaceMember => ({ userId, email: 'a@b.c', displayName: null, role, joinedAt: '' });

describe('member actions offered', () => {
  it('lets an owner set any other role, remove and hand over', () => {
    expect(memberActions(ws('owner'), member('viewer'), SELF)).toEqual({ roles: ['owner', 'admin', 'member'], remove: true, transfer: true, leave: false });
  });

  it('lets an admin act only on weaker members and grant at most admin, never hand over', () => {
    expect(memberActions(ws('admin'), member('member'), SELF)).toEqual({ roles: ['admin', 'viewer'], remove: true, transfer: false, leave: false });
    expect(memberActions(ws('admin'), member('admin'), SELF)).toEqual({ roles: [], remove: false, transfer: false, leave: false });
    expect(memberActions(ws('admin'), member('owner'), SELF).remove).toBe(false);
  });

  it('offers members and viewers nothing on others, and leaving on their own row', () => {
    for (const role of ['member', 'viewer'] as const) {
      expect(memberActions(ws(role), member('viewer'), SELF)).toEqual({ roles: [], remove: false, transfer: false, leave: false });
      expect(memberActions(ws(role), member(role, SELF), SELF)).toEqual({ roles: [], remove: false, transfer: false, leave: true });
    }
  });

  it('offers nothing in a personal workspace', () => {
    expect(memberActions(ws('owner', true), member('owner', SELF), SELF)).toEqual({ roles: [], remove: false, transfer: false, leave: false });
  });
});
