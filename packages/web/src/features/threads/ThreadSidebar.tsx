import type { Workspace } from '@tally/protocol';
import type { ThreadsState } from './use-threads.js';
import { ThreadItem } from './ThreadItem.js';

export interface ThreadSidebarProps {
  workspace: Workspace;
  threads: ThreadsState;
  selectedId: string | null;
  /** `messageId`: the message a search hit found, to bring into view. */
  onSelect: (threadId: string | null, messageId?: string) => void;
}

/**
 * New thread, search, and the workspace's threads the user reads (theirs, and those shared with
 * the workspace), most recently active first.
 */
export function ThreadSidebar({ workspace, threads, selectedId, onSelect }: ThreadSidebarProps) {
  const team = !workspace.personal;
  const asks = workspace.permissions.includes('agents.ask');
  const sorted = [...threads.threads].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const searching = threads.query.trim() !== '';
  return (
    <nav className="threads" aria-label="Threads">
      <div className="threads-head">
        <h2>Threads</h2>
        {asks && <button type="button" className="small primary" onClick={() => onSelect(null)}>New thread</button>}
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
        <p className="muted">{searching ? 'No thread matches.' : asks ? 'No thread yet: ask a question to start one.' : 'No thread shared with this workspace yet.'}</p>
      )}
      <ul className="thread-list">
        {sorted.map((t) => (
          <ThreadItem
            key={t.id}
            thread={t}
            query={threads.query}
            selected={t.id === selectedId}
            onSelect={() => onSelect(t.id, t.match?.messageId)}
            marked={team}
            onShare={team && asks ? (shared) => threads.setSharing(t.id, shared) : undefined}
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
