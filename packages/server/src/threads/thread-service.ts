import type { Message, Thread, ThreadSearchMatch } from '@tally/protocol';
import { sql } from 'kysely';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RunService } from '../runs/run-service.js';
import type { Db } from '../store/database.js';
import type { MessageRow, ThreadRow } from '../store/schema.js';
import { containsPattern } from './like-pattern.js';
import type { WorkspaceCaller } from '../workspaces/workspace-caller.js';
import { createThreadDeletion } from './thread-deletion.js';
import type { Bus } from '../bus/bus.js';
import { publishThreadUnshared } from '../workspaces/membership-changes.js';

/**
 * Threads in a workspace as one member sees them: their own, and those other members shared with
 * the workspace (read-only for them). Every query carries the workspace and the visibility
 * predicate; a deleted thread (hidden while its runs stop), a missing one and one the caller may
 * not see all answer THREAD_NOT_FOUND; a shared thread someone else wrote answers
 * THREAD_READ_ONLY to a change.
 */
export interface ThreadService {
  /** Newest first; with `q`, only threads whose title or any message contains it, case-insensitively. */
  list(caller: WorkspaceCaller, query?: { q?: string | undefined }): Promise<Thread[]>;
  /** The caller's thread in the workspace, or another member's shared there. */
  get(caller: WorkspaceCaller, threadId: string): Promise<Thread>;
  messages(caller: WorkspaceCaller, threadId: string): Promise<Message[]>;
  /** `title` is already trimmed and checked. */
  rename(caller: WorkspaceCaller, threadId: string, title: string): Promise<Thread>;
  /** Stops the thread's runs, then removes it with its messages and runs. */
  remove(caller: WorkspaceCaller, threadId: string): Promise<void>;
  /** The author shares the thread with the workspace (or stops); recorded in the workspace's audit log. */
  setSharing(caller: WorkspaceCaller, threadId: string, shared: boolean, audit: { ip: string | null }): Promise<Thread>;
}

/** Threads listed at most: a list, and a search, stay one bounded query. */
const LIST_LIMIT = 500;
const SEARCH_LIMIT = 100;

type ThreadWithAuthor = ThreadRow & { author_email: string; author_name: string | null };

export function createThreadService(deps: {
  db: Db;
  runs: Pick<RunService, 'activeInThread' | 'stop'>;
  audit: Pick<AuditLog, 'record'>;
  /** Where an unsharing is announced, so every node ends other members' live reading of the thread. */
  bus: Pick<Bus, 'publish'>;
  deletionSettleMs?: number;
}): ThreadService {
  const { db } = deps;
  const deletion = createThreadDeletion({ db, runs: deps.runs, ...(deps.deletionSettleMs !== undefined ? { settleMs: deps.deletionSettleMs } : {}) });
  /** What the caller sees in the workspace: their own threads and the shared ones, with each one's author. */
  const visible = (caller: WorkspaceCaller) =>
    db
      .selectFrom('threads')
      .innerJoin('users', 'users.id', 'threads.owner_id')
      .selectAll('threads')
      .select(['users.email as author_email', 'users.display_name as author_name'])
      .where('threads.workspace_id', '=', caller.workspaceId)
      .where('threads.deleted_at', 'is', null)
      .where((eb) => eb.or([eb('threads.owner_id', '=', caller.userId), eb('threads.shared_at', 'is not', null)]));

  async function visibleRow(caller: WorkspaceCaller, threadId: string): Promise<ThreadWithAuthor> {
    const row = await visible(caller).where('threads.id', '=', threadId).executeTakeFirst();
    if (!row) throw new AppError('THREAD_NOT_FOUND');
    return row;
  }

  /** The caller's own thread in the workspace; another's shared one is THREAD_READ_ONLY. */
  async function authored(caller: WorkspaceCaller, threadId: string): Promise<ThreadWithAuthor> {
    const row = await visibleRow(caller, threadId);
    if (row.owner_id !== caller.userId) throw new AppError('THREAD_READ_ONLY');
    return row;
  }

  /**
   * Each thread's first message containing `text`, as a short snippet around it; cut in SQL, so a
   * long answer is never read whole for it. `threadIds` are threads the caller may read.
   */
  async function firstMatches(threadIds: string[], text: string, pattern: string): Promise<Map<string, ThreadSearchMatch>> {
    if (threadIds.length === 0) return new Map();
    const at = sql<number>`strpos(lower(content), lower(${text}))`;
    const rows = await db
      .selectFrom('messages')
      .distinctOn('thread_id')
      .select(['id', 'thread_id', 'role'])
      .select([
        sql<string>`substr(content, greatest(1, ${at} - ${SNIPPET_BEFORE}), ${SNIPPET_LENGTH + text.length})`.as('piece'),
        sql<number>`greatest(1, ${at} - ${SNIPPET_BEFORE})`.as('start'),
        sql<number>`length(content)`.as('length'),
      ])
      .where('thread_id', 'in', threadIds)
      .where('content', 'ilike', pattern)
      .orderBy('thread_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return new Map(rows.map((r) => [r.thread_id, { messageId: r.id, role: r.role, snippet: snippetOf(r.piece, Number(r.start), Number(r.length)) }]));
  }

  return {
    async list(caller, query = {}) {
      // Removes what an earlier delete had to leave hidden (a run that took long to stop).
      await deletion.purge(caller.userId);
      const toCallers = (row: ThreadWithAuthor) => toThread(row, caller.userId);
      if (query.q === undefined || query.q.trim() === '') {
        return (await visible(caller).orderBy('threads.updated_at', 'desc').limit(LIST_LIMIT).execute()).map(toCallers);
      }
      const pattern = containsPattern(query.q.trim());
      const rows = await visible(caller)
        .where((eb) =>
          eb.or([
            eb('threads.title', 'ilike', pattern),
            eb.exists(
              eb
                .selectFrom('messages')
                .select('messages.id')
                .whereRef('messages.thread_id', '=', 'threads.id')
                .whereRef('messages.owner_id', '=', 'threads.owner_id')
                .where('messages.content', 'ilike', pattern),
            ),
          ]),
        )
        .orderBy('threads.updated_at', 'desc')
        .limit(SEARCH_LIMIT)
        .execute();
      const matches = await firstMatches(rows.map((r) => r.id), query.q.trim(), pattern);
      return rows.map((row) => {
        const match = matches.get(row.id);
        return match ? { ...toCallers(row), match } : toCallers(row);
      });
    },

    async get(caller, threadId) {
      return toThread(await visibleRow(caller, threadId), caller.userId);
    },

    async messages(caller, threadId) {
      const thread = await visibleRow(caller, threadId);
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('thread_id', '=', threadId)
        .where('owner_id', '=', thread.owner_id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toMessage);
    },

    async rename(caller, threadId, title) {
      const thread = await authored(caller, threadId);
      // A rename is not activity: updated_at (the list's order) stays.
      const row = await db
        .updateTable('threads')
        .set({ title })
        .where('id', '=', threadId)
        .where('owner_id', '=', caller.userId)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new AppError('THREAD_NOT_FOUND');
      return toThread({ ...thread, ...row }, caller.userId);
    },

    async remove(caller, threadId) {
      await authored(caller, threadId);
      if (!(await deletion.remove(caller.userId, threadId))) throw new AppError('THREAD_NOT_FOUND');
    },

    async setSharing(caller, threadId, shared, meta) {
      const thread = await authored(caller, threadId);
      const changed = (thread.shared_at !== null) === shared ? toThread(thread, caller.userId) : await db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('threads')
          .set({ shared_at: shared ? new Date() : null })
          .where('id', '=', threadId)
          .where('owner_id', '=', caller.userId)
          .where('workspace_id', '=', caller.workspaceId)
          .where('deleted_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw new AppError('THREAD_NOT_FOUND');
        await deps.audit.record(
          { action: shared ? 'thread.shared' : 'thread.unshared', actorId: caller.userId, target: `thread:${threadId}`, ip: meta.ip, workspaceId: caller.workspaceId, details: { title: row.title } },
          tx,
        );
        return toThread({ ...thread, ...row }, caller.userId);
      });
      // After the commit: a member subscribing now is refused by the store; those already reading
      // are ended by every node's gateway. Announced again on a repeated unshare, so a retry after
      // a failed announcement (the bus down) still ends them; ending twice ends nothing more.
      if (!shared) await publishThreadUnshared(deps.bus, { workspaceId: caller.workspaceId, threadId, authorId: caller.userId });
      return changed;
    },
  };
}

/** A thread as `callerId` sees it: theirs, or another member's shared one with its author named. */
function toThread(row: ThreadWithAuthor, callerId: string): Thread {
  const mine = row.owner_id === callerId;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    title: row.title,
    shared: row.shared_at !== null,
    mine,
    author: mine ? null : (row.author_name ?? row.author_email),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toMessage(row: MessageRow): Message {
  return { id: row.id, threadId: row.thread_id, role: row.role, content: row.content, runId: row.run_id, createdAt: iso(row.created_at) };
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** Characters of a snippet before the match, and in all (besides the match itself). */
const SNIPPET_BEFORE = 60;
const SNIPPET_LENGTH = 160;

/** One line of text, marked with `…` where the message goes on. */
function snippetOf(piece: string, start: number, length: number): string {
  const line = piece.replace(/\s+/g, ' ').trim();
  return `${start > 1 ? '…' : ''}${line}${start - 1 + piece.length < length ? '…' : ''}`;
}
