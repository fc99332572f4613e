import type { AdminAnswerFeedback, AnswerFeedback, AnswerRating } from '@tally/protocol';
import { sql } from 'kysely';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { RunService } from '../runs/run-service.js';
import type { WorkspaceCaller } from '../workspaces/workspace-caller.js';
import type { ThreadService } from './thread-service.js';

/**
 * Thumbs up or down, with an optional note, on the answer of a run: a user rates only their own
 * finished runs in the workspace named (an unknown run, or one they may not read, is
 * RUN_NOT_FOUND; another member's shared one THREAD_READ_ONLY), reads only their own ratings,
 * and an admin reads everyone's with the question and thread they were given on.
 */
export interface AnswerFeedbackService {
  /** Sets or replaces the caller's rating of the run; `note` already trimmed, blank meaning none. */
  set(caller: WorkspaceCaller, runId: string, input: { rating: AnswerRating; note?: string | null | undefined }): Promise<AnswerFeedback>;
  /** Removes the caller's rating of the run (nothing to remove is not an error). */
  remove(caller: WorkspaceCaller, runId: string): Promise<void>;
  /** The caller's ratings of the answers in a thread they may read (none in another's shared thread). */
  ofThread(caller: WorkspaceCaller, threadId: string): Promise<AnswerFeedback[]>;
  /** Every user's ratings, newest first: for admins only (the route's access says so). */
  listAll(query: { rating?: AnswerRating | undefined; limit: number }): Promise<AdminAnswerFeedback[]>;
}

export function createAnswerFeedbackService(deps: { db: Db; threads: Pick<ThreadService, 'get'>; runs: Pick<RunService, 'authored'> }): AnswerFeedbackService {
  const { db } = deps;

  return {
    async set(caller, runId, input) {
      const run = await deps.runs.authored(caller, runId);
      const ownerId = caller.userId;
      // An answer is rated once it is there: a run still queued or going has none yet.
      if (run.status === 'queued' || run.status === 'running') throw new AppError('RUN_NOT_FINISHED');
      const note = input.note ? input.note : null;
      const row = await db
        .insertInto('answer_feedback')
        .values({ run_id: runId, owner_id: ownerId, rating: input.rating, note })
        .onConflict((oc) => oc.column('run_id').doUpdateSet({ rating: input.rating, note, updated_at: sql<Date>`now()` }).where('answer_feedback.owner_id', '=', ownerId))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toFeedback(row);
    },

    async remove(caller, runId) {
      await deps.runs.authored(caller, runId);
      await db.deleteFrom('answer_feedback').where('run_id', '=', runId).where('owner_id', '=', caller.userId).execute();
    },

    async ofThread(caller, threadId) {
      await deps.threads.get(caller, threadId);
      const ownerId = caller.userId;
      const rows = await db
        .selectFrom('answer_feedback')
        .innerJoin('runs', 'runs.id', 'answer_feedback.run_id')
        .selectAll('answer_feedback')
        .where('runs.thread_id', '=', threadId)
        .where('runs.owner_id', '=', ownerId)
        .where('answer_feedback.owner_id', '=', ownerId)
        .orderBy('answer_feedback.created_at')
        .execute();
      return rows.map(toFeedback);
    },

    async listAll(query) {
      let q = db
        .selectFrom('answer_feedback')
        .innerJoin('runs', 'runs.id', 'answer_feedback.run_id')
        .innerJoin('threads', 'threads.id', 'runs.thread_id')
        .innerJoin('users', 'users.id', 'answer_feedback.owner_id')
        .leftJoin('messages', 'messages.id', 'runs.message_id')
        .selectAll('answer_feedback')
        .select(['users.email', 'threads.id as thread_id', 'threads.title', 'messages.content as question'])
        .where('threads.deleted_at', 'is', null);
      if (query.rating) q = q.where('answer_feedback.rating', '=', query.rating);
      const rows = await q.orderBy('answer_feedback.updated_at', 'desc').orderBy('answer_feedback.run_id').limit(query.limit).execute();
      return rows.map((r) => ({
        ...toFeedback(r),
        userId: r.owner_id,
        userEmail: r.email,
        threadId: r.thread_id,
        threadTitle: r.title,
        question: r.question ?? '',
      }));
    },
  };
}

function toFeedback(row: { run_id: string; rating: AnswerRating; note: string | null; updated_at: Date | string }): AnswerFeedback {
  return { runId: row.run_id, rating: row.rating, note: row.note, updatedAt: new Date(row.updated_at).toISOString() };
}
