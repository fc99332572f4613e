import type { Message, Thread, ThreadSearchMatch } from '@tally/protocol';
import { sql } from 'kysely';
import { AppError } from '../app-error.js';
import type { RunService } from '../runs/run-service.js';
import type { Db } from '../store/database.js';
import type { MessageRow, ThreadRow } from '../store/schema.js';
import { containsPattern } from './like-pattern.js';
import { createThreadDeletion } from './thread-deletion.js';

/**
 * A user's threads and messages; every query carries the owner predicate, and a deleted thread
 * (hidden while its runs stop) answers THREAD_NOT_FOUND like a missing or foreign one.
 */
export interface ThreadService {
  /** Newest first; with `q`, only threads whose title or any message contains it, case-insensitively. */
  list(ownerId: string, query?: { q?: string | undefined }): Promise<Thread[]>;
  /** THREAD_NOT_FOUND when missing, deleted or another user's. */
  get(ownerId: string, threadId: string): Promise<Thread>;
  messages(ownerId: string, threadId: string): Promise<Message[]>;
  /** `title` is already trimmed and checked. */
  rename(ownerId: string, threadId: string, title: string): Promise<Thread>;
  /** Stops the thread's runs, then removes it with its messages and runs. */
  remove(ownerId: string, threadId: string): Promise<void>;
}

/** Threads listed at most: a list, and a search, stay one bounded query. */
const LIST_LIMIT = 500;
const SEARCH_LIMIT = 100;

export function createThreadService(deps: { db: Db; runs: Pick<RunService, 'activeInThread' | 'stop'>; deletionSettleMs?: number }): ThreadService {
  const { db } = deps;
  const deletion = createThreadDeletion({ db, runs: deps.runs, ...(deps.deletionSettleMs !== undefined ? { settleMs: deps.deletionSettleMs } : {}) });
  const owned = (ownerId: string) => db.selectFrom('threads').selectAll().where('owner_id', '=', ownerId).where('deleted_at', 'is', null);

  async function get(ownerId: string, threadId: string): Promise<Thread> {
    const row = await owned(ownerId).where('id', '=', threadId).executeTakeFirst();
    if (!row) throw new AppError('THREAD_NOT_FOUND');
    return toThread(row);
  }

  /**
   * Each thread's first message containing `text`, as a short snippet around it; cut in SQL, so a
   * long answer is never read whole for it.
   */
  async function firstMatches(ownerId: string, threadIds: string[], text: string, pattern: string): Promise<Map<string, ThreadSearchMatch>> {
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
      .where('owner_id', '=', ownerId)
      .where('thread_id', 'in', threadIds)
      .where('content', 'ilike', pattern)
      .orderBy('thread_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return new Map(rows.map((r) => [r.thread_id, { messageId: r.id, role: r.role, snippet: snippetOf(r.piece, Number(r.start), Number(r.length)) }]));
  }

  return {
    async list(ownerId, query = {}) {
      // Removes what an earlier delete had to leave hidden (a run that took long to stop).
      await deletion.purge(ownerId);
      if (query.q === undefined || query.q.trim() === '') {
        return (await owned(ownerId).orderBy('updated_at', 'desc').limit(LIST_LIMIT).execute()).map(toThread);
      }
      const pattern = containsPattern(query.q.trim());
      const rows = await owned(ownerId)
        .where((eb) =>
          eb.or([
            eb('title', 'ilike', pattern),
            eb.exists(
              eb
                .selectFrom('messages')
                .select('messages.id')
                .whereRef('messages.thread_id', '=', 'threads.id')
                .where('messages.owner_id', '=', ownerId)
                .where('messages.content', 'ilike', pattern),
            ),
          ]),
        )
        .orderBy('updated_at', 'desc')
        .limit(SEARCH_LIMIT)
        .execute();
      const matches = await firstMatches(ownerId, rows.map((r) => r.id), query.q.trim(), pattern);
      return rows.map((row) => {
        const match = matches.get(row.id);
        return match ? { ...toThread(row), match } : toThread(row);
      });
    },

    get,

    async messages(ownerId, threadId) {
      await get(ownerId, threadId);
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('thread_id', '=', threadId)
        .where('owner_id', '=', ownerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toMessage);
    },

    async rename(ownerId, threadId, title) {
      // A rename is not activity: updated_at (the list's order) stays.
      const row = await db
        .updateTable('threads')
        .set({ title })
        .where('id', '=', threadId)
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new AppError('THREAD_NOT_FOUND');
      return toThread(row);
    },

    async remove(ownerId, threadId) {
      if (!(await deletion.remove(ownerId, threadId))) throw new AppError('THREAD_NOT_FOUND');
    },
  };
}

export function toThread(row: ThreadRow): Thread {
  return { id: row.id, title: row.title, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
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
