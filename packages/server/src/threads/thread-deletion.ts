import type { RunService } from '../runs/run-service.js';
import type { Db } from '../store/database.js';

export interface ThreadDeletionOptions {
  db: Db;
  runs: Pick<RunService, 'activeInThread' | 'stop'>;
  /** How long a delete waits for the thread's runs to end before leaving the removal for later. */
  settleMs?: number;
  pollMs?: number;
}

/**
 * Deleting a thread that may have a run going, on this node or another. The thread is hidden at
 * once (`deleted_at`), its runs are stopped through the run service (a running one ends with
 * `run_cancelled`, written by the worker that holds it), and only when none is queued or running
 * is the row removed, with its messages, runs and events (foreign keys cascade). Removing it under
 * a live worker would make the worker's next write fail; waiting for the stop avoids that.
 *
 * Returns false when the thread is missing, foreign or already deleted. The caller checked the
 * thread is the owner's in the workspace named (a thread's runs are all its author's).
 */
export function createThreadDeletion(options: ThreadDeletionOptions): {
  remove(ownerId: string, threadId: string): Promise<boolean>;
  /** Removes the owner's hidden threads whose runs have all ended (a delete that timed out). */
  purge(ownerId: string): Promise<void>;
} {
  const { db, runs } = options;
  const settleMs = options.settleMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;

  /** Removes the hidden thread if no run of it is going; the thread row lock orders it against send_message. */
  async function removeIfSettled(ownerId: string, threadId: string): Promise<boolean> {
    return db.transaction().execute(async (tx) => {
      const thread = await tx
        .selectFrom('threads')
        .select('id')
        .where('id', '=', threadId)
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is not', null)
        .forUpdate()
        .executeTakeFirst();
      if (!thread) return true;
      const going = await tx.selectFrom('runs').select('id').where('thread_id', '=', threadId).where('status', 'in', ['queued', 'running']).limit(1).executeTakeFirst();
      if (going) return false;
      await tx.deleteFrom('threads').where('id', '=', threadId).where('owner_id', '=', ownerId).execute();
      return true;
    });
  }

  async function stopRuns(ownerId: string, threadId: string): Promise<void> {
    for (const run of await runs.activeInThread(threadId)) await runs.stop(ownerId, run.id);
  }

  return {
    async remove(ownerId, threadId) {
      const hidden = await db
        .updateTable('threads')
        .set({ deleted_at: new Date() })
        .where('id', '=', threadId)
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!hidden) return false;
      const deadline = Date.now() + settleMs;
      // A message sent to the thread just before it was hidden may start a run meanwhile: each
      // round stops whatever is going, until nothing is.
      for (;;) {
        await stopRuns(ownerId, threadId);
        if (await removeIfSettled(ownerId, threadId)) return true;
        // A worker that died holding a run frees it only when its lease expires; the next
        // delete or thread list of the owner removes the thread then.
        if (Date.now() >= deadline) return true;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },

    async purge(ownerId) {
      const hidden = await db.selectFrom('threads').select('id').where('owner_id', '=', ownerId).where('deleted_at', 'is not', null).limit(20).execute();
      for (const { id } of hidden) {
        await stopRuns(ownerId, id);
        await removeIfSettled(ownerId, id);
      }
    },
  };
}
