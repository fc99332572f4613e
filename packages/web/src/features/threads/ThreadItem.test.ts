import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Thread } from '@tally/protocol';
import { ThreadItem } from './ThreadItem.js';

const base: Thread = {
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  workspaceId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  title: 'Spend overview',
  shared: false,
  mine: true,
  author: null,
  createdAt: '2026-12-06T00:00:00.000Z',
  updatedAt: '2026-12-06T00:00:00.000Z',
};
const none = async () => undefined;
const html = (thread: Thread, options: { marked: boolean; share: boolean }) =>
  renderToStaticMarkup(
    createElement(ThreadItem, { thread, selected: false, onSelect: () => undefined, onRename: none, onDelete: none, onShare: options.share ? none : undefined, marked: options.marked }),
  );

describe('a thread in the sidebar', () => {
  it("marks the author's own team thread personal or shared, with Share or Unshare beside rename and delete", () => {
    const personal = html(base, { marked: true, share: true });
    expect(personal).toContain('data-mark="personal"');
    expect(personal).toContain('aria-label="Share Spend overview with the workspace"');
    expect(personal).toContain('aria-label="Rename Spend overview"');
    const shared = html({ ...base, shared: true }, { marked: true, share: true });
    expect(shared).toContain('>Shared<');
    expect(shared).toContain('aria-label="Unshare Spend overview"');
  });

  it("shows another member's shared thread with its author, read-only, with no action on it", () => {
    const out = html({ ...base, shared: true, mine: false, author: 'ada@example.com' }, { marked: true, share: true });
    expect(out).toContain('Shared by ada@example.com · read-only');
    expect(out).not.toMatch(/aria-label="(Rename|Delete|Share|Unshare) /);
  });

  it('has no mark in a personal workspace and no share button where sharing is not offered', () => {
    const out = html(base, { marked: false, share: false });
    expect(out).not.toContain('data-mark');
    expect(out).not.toContain('Share');
    expect(out).toContain('aria-label="Delete Spend overview"');
  });
});
