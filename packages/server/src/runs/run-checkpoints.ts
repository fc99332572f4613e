import type { Db } from '../store/database.js';

/** The steps a run has completed, with their values, and the seq the log had then. */
export interface RunCheckpoint {
  steps: Record<string, unknown>;
  seq: number;
}

export async function loadRunCheckpoint(db: Db, runId: string): Promise<RunCheckpoint | null> {
  const row = await db.selectFrom('run_checkpoints').select(['steps', 'seq']).where('run_id', '=', runId).executeTakeFirst();
  if (!row) return null;
  const steps = typeof row.steps === 'string' ? JSON.parse(row.steps) : row.steps;
  return { steps: steps as Record<string, unknown>, seq: row.seq };
}

export async function saveRunCheckpoint(db: Db, runId: string, checkpoint: RunCheckpoint): Promise<void> {
  const steps = JSON.stringify(checkpoint.steps);
  await db
    .insertInto('run_checkpoints')
    .values({ run_id: runId, steps, seq: checkpoint.seq })
    .onConflict((oc) => oc.column('run_id').doUpdateSet({ steps, seq: checkpoint.seq, updated_at: new Date() }))
    .execute();
}
