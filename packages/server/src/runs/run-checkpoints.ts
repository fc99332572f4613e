import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import { isConnectionError } from '../store/postgres-errors.js';
import { createGroupedWriter } from './grouped-writer.js';

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

/**
 * Writes the checkpoints of many runs (at most one per run) in one statement, as one JSON array
 * parameter: the node's checkpoint writer puts every run whose flush just ended in it.
 */
export async function saveRunCheckpoints(db: Db, checkpoints: Array<{ runId: string; checkpoint: RunCheckpoint }>): Promise<void> {
  if (checkpoints.length === 0) return;
  const rows = JSON.stringify(checkpoints.map((c) => ({ run_id: c.runId, steps: c.checkpoint.steps, seq: c.checkpoint.seq })));
  await sql`
    insert into run_checkpoints (run_id, steps, seq)
    select run_id, steps, seq from jsonb_to_recordset(${rows}::jsonb) as c(run_id uuid, steps jsonb, seq integer)
    on conflict (run_id) do update set steps = excluded.steps, seq = excluded.seq, updated_at = now()
  `.execute(db);
}

/** Saves one run's checkpoint; the node's writer puts the checkpoints due together in one statement. */
export type SaveCheckpoint = (runId: string, checkpoint: RunCheckpoint) => Promise<void>;

/** A worker's one checkpoint writer (see grouped-writer.ts): a statement per flush tick, not per run. */
export function createCheckpointWriter(db: Db): SaveCheckpoint {
  const writer = createGroupedWriter<{ runId: string; checkpoint: RunCheckpoint }>({
    writeMany: (rows) => saveRunCheckpoints(db, rows),
    writeOne: (rows) => saveRunCheckpoints(db, rows),
    isShared: isConnectionError,
  });
  return (runId, checkpoint) => writer.append([{ runId, checkpoint }]);
}
