import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Thread } from '@tally/protocol';
import { PencilIcon, TrashIcon } from '../../components/icons.js';
import { errorMessage } from '../../format.js';
import { SearchSnippet } from './SearchSnippet.js';

export interface ThreadItemProps {
  thread: Thread;
  /** The searched text, marked in the hit's snippet. */
  query?: string;
  selected: boolean;
  onSelect: () => void;
  onRename: (title: string) => Promise<void>;
  onDelete: () => Promise<void>;
  /** Share with the workspace or stop; absent where the caller may not (not theirs, a personal workspace, a viewer). */
  onShare?: ((shared: boolean) => Promise<void>) | undefined;
  /** In a team workspace: each thread says whether it is shared or personal (in a personal one all are personal). */
  marked: boolean;
}

type Mode = { kind: 'view' } | { kind: 'renaming'; title: string } | { kind: 'confirming' };

/**
 * One thread in the sidebar, marked shared or personal: open it; its author renames it in place
 * (Enter saves, Escape cancels), shares or unshares it, deletes it after a confirmation. Another
 * member's shared thread shows its author and offers no change.
 */
export function ThreadItem({ thread, query = '', selected, onSelect, onRename, onDelete, onShare, marked }: ThreadItemProps) {
  const [mode, setMode] = useState<Mode>({ kind: 'view' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const title = thread.title || 'Untitled';

  useEffect(() => {
    if (mode.kind === 'renaming') input.current?.select();
  }, [mode.kind]);

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setMode({ kind: 'view' });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function onRenameKey(e: KeyboardEvent<HTMLInputElement>) {
    if (mode.kind !== 'renaming') return;
    if (e.key === 'Enter') {
      e.preventDefault();
      const next = mode.title.trim();
      if (!next || next === thread.title) setMode({ kind: 'view' });
      else void act(() => onRename(next));
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setError(null);
      setMode({ kind: 'view' });
    }
  }

  return (
    <li className={selected ? 'thread-item active' : 'thread-item'} data-thread-id={thread.id}>
      {mode.kind === 'renaming' ? (
        <input
          ref={input}
          className="thread-rename"
          aria-label={`New title for ${title}`}
          value={mode.title}
          maxLength={200}
          disabled={busy}
          onChange={(e) => setMode({ kind: 'renaming', title: e.target.value })}
          onKeyDown={onRenameKey}
          onBlur={() => !busy && setMode({ kind: 'view' })}
        />
      ) : (
        <button type="button" className="thread" aria-current={selected ? 'page' : undefined} onClick={onSelect}>
          <span className="thread-title">{title}</span>
          {marked && <ThreadMark thread={thread} />}
          {thread.match && <SearchSnippet text={thread.match.snippet} query={query} />}
          <time className="muted" dateTime={thread.updatedAt}>{new Date(thread.updatedAt).toLocaleString()}</time>
        </button>
      )}
      {mode.kind === 'view' && thread.mine && (
        <span className="thread-actions">
          {onShare && (
            <button
              type="button"
              className="small thread-share"
              aria-label={thread.shared ? `Unshare ${title}` : `Share ${title} with the workspace`}
              title={thread.shared ? 'Stop sharing: only you will see it' : 'Share with the workspace: members read it, only you change it'}
              disabled={busy}
              onClick={() => void act(() => onShare(!thread.shared))}
            >
              {thread.shared ? 'Unshare' : 'Share'}
            </button>
          )}
          <button type="button" className="icon-button" aria-label={`Rename ${title}`} title="Rename" onClick={() => setMode({ kind: 'renaming', title: thread.title })}>
            <PencilIcon />
          </button>
          <button type="button" className="icon-button" aria-label={`Delete ${title}`} title="Delete" onClick={() => setMode({ kind: 'confirming' })}>
            <TrashIcon />
          </button>
        </span>
      )}
      {mode.kind === 'confirming' && (
        <div className="thread-confirm" role="alertdialog" aria-label={`Delete ${title}?`}>
          <span>Delete this thread and its runs?</span>
          <button type="button" className="danger small" disabled={busy} onClick={() => void act(onDelete)}>Delete</button>
          <button type="button" className="small" disabled={busy} onClick={() => setMode({ kind: 'view' })} autoFocus>Cancel</button>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </li>
  );
}

/** Shared or personal, in words (not colour alone); another member's thread names its author. */
function ThreadMark({ thread }: { thread: Thread }) {
  if (!thread.mine) return <span className="thread-mark shared" data-mark="shared">Shared by {thread.author ?? 'a member'} · read-only</span>;
  return thread.shared ? <span className="thread-mark shared" data-mark="shared">Shared</span> : <span className="thread-mark" data-mark="personal">Personal</span>;
}
