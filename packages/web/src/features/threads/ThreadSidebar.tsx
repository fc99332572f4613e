import type { ThreadsState } from './use-threads.js';
import { ThreadItem } from './ThreadItem.js';

export interface ThreadSidebarProps {
  threads: ThreadsState;
  selectedId: string | null;
  /** `messageId`: the message a search hit found, to bring into view. */
  onSelect: (threadId: string | null, messageId?: string) => void;
}

/** New thread, search, and the user's threads, most recently active first. */
export function ThreadSidebar({ threads, selectedId, onSelect }: ThreadSidebarProps) {
  const sorted = [...threads.threads].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const searching = threads.query.trim() !== '';
  return (
    <nav className="threads" aria-label="Threads">
      <div className="threads-head">
        <h2>Threads</h2>
        <button type="button" className="small primary" onClick={() => onSelect(null)}>New thread</button>
      </div>
      <input
        type="search"
        className="thread-search"
        placeholder="Search threads"
        aria-label="Search threads"
        value={threads.query}
        onChange={(e) => threads.setQuery(e.target.value)}
      />
      {threads.error && <p className="error" role="alert">{threads.error}</p>}
      {threads.loaded && sorted.length === 0 && (
        <p className="muted">{searching ? 'No thread matches.' : 'No thread yet: ask a question to start one.'}</p>
      )}
      <ul className="thread-list">
        {sorted.map((t) => (
          <ThreadItem
            key={t.id}
            thread={t}
            query={threads.query}
            selected={t.id === selectedId}
            onSelect={() => onSelect(t.id, t.match?.messageId)}
            onRename={(title) => threads.rename(t.id, title)}
            onDelete={async () => {
              await threads.remove(t.id);
              if (t.id === selectedId) onSelect(null);
            }}
          />
        ))}
      </ul>
    </nav>
  );
}
