import type { Db } from '../store/database.js';

/** What a run may know of its thread before it: the user's earlier questions, to shape its answer. */
export interface ThreadHistory {
  /** The owner's earlier messages in the thread, oldest first, at most `limit` of the latest. */
  earlierQuestions(args: { ownerId: string; threadId: string; runId: string; limit?: number }): Promise<string[]>;
}

/** Thread history from the messages table; every query is scoped to the owner. */
export function createThreadHistory(db: Db): ThreadHistory {
  return {
    async earlierQuestions({ ownerId, threadId, runId, limit = 50 }) {
      const rows = await db
        .selectFrom('messages')
        .select(['content', 'created_at'])
        .where('owner_id', '=', ownerId)
        .where('thread_id', '=', threadId)
        .where('role', '=', 'user')
        .where((eb) => eb.or([eb('run_id', 'is', null), eb('run_id', '!=', runId)]))
        .where('created_at', '<=', (eb) =>
          eb.selectFrom('messages').select('created_at').where('owner_id', '=', ownerId).where('run_id', '=', runId).where('role', '=', 'user').limit(1),
        )
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.reverse().map((r) => r.content);
    },
  };
}
