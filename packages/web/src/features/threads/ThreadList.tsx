import type { Thread } from '@tally/protocol';

export interface ThreadListProps {
  threads: Thread[];
  selectedId: string | null;
  onSelect: (threadId: string | null) => void;
}

/** The user's threads, newest first, and a way to start a new one. */
export function ThreadList({ threads, selectedId, onSelect }: ThreadListProps) {
  const sorted = [...threads].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return (
    <nav className="card threads" aria-label="Threads">
      <div className="threads-head">
        <h2>Threads</h2>
        <button type="button" className="small" onClick={() => onSelect(null)}>New</button>
      </div>
      {sorted.length === 0 && <p className="muted">No thread yet: ask a question to start one.</p>}
      <ul>
        {sorted.map((t) => (
          <li key={t.id}>
            <button
              type="button"
              className={t.id === selectedId ? 'thread active' : 'thread'}
              aria-current={t.id === selectedId}
              onClick={() => onSelect(t.id)}
            >
              <span className="thread-title">{t.title || 'Untitled'}</span>
              <time className="muted" dateTime={t.updatedAt}>{new Date(t.updatedAt).toLocaleString()}</time>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
