import type { Message, Thread } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { MessageRow, ThreadRow } from '../store/schema.js';

/** Reads of a user's threads and messages; every query carries the owner predicate. */
export interface ThreadService {
  list(ownerId: string): Promise<Thread[]>;
  /** THREAD_NOT_FOUND when missing or another user's. */
  get(ownerId: string, threadId: string): Promise<Thread>;
  messages(ownerId: string, threadId: string): Promise<Message[]>;
}

export function createThreadService(deps: { db: Db }): ThreadService {
  const { db } = deps;

  async function get(ownerId: string, threadId: string): Promise<Thread> {
    const row = await db.selectFrom('threads').selectAll().where('id', '=', threadId).where('owner_id', '=', ownerId).executeTakeFirst();
    if (!row) throw new AppError('THREAD_NOT_FOUND');
    return toThread(row);
  }

  return {
    async list(ownerId) {
      const rows = await db.selectFrom('threads').selectAll().where('owner_id', '=', ownerId).orderBy('updated_at', 'desc').limit(500).execute();
      return rows.map(toThread);
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
  };
}

export function toThread(row: ThreadRow): Thread {
  return { id: row.id, title: row.title, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

function toMessage(row: MessageRow): Message {
  return { id: row.id, threadId: row.thread_id, role: row.role, content: row.content, runId: row.run_id, createdAt: iso(row.created_at) };
}

const iso = (d: Date | string) => new Date(d).toISOString();
