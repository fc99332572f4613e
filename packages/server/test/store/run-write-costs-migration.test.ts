import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadRunCheckpoint, saveRunCheckpoints } from '../../src/runs/run-checkpoints.js';
import type { Db } from '../../src/store/database.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { engineSetups } from '../support/engines.js';
import { withFreshDatabase } from '../support/fresh-database.js';

/** An account with its personal workspace and one thread (ids all the account's): the owner's id. */
async function insertOwner(db: Db): Promise<string> {
  const owner = crypto.randomUUID();
  await sql`INSERT INTO users (id, email, password_hash, role) VALUES (${owner}, ${`m0019-${owner}@example.com`}, 'x', 'member')`.execute(db);
  await sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${owner}, 'Personal', ${owner})`.execute(db);
  await sql`INSERT INTO threads (id, owner_id, workspace_id, title) VALUES (${owner}, ${owner}, ${owner}, 't')`.execute(db);
  return owner;
}

/** A run of the owner's thread with its question; its id. */
async function insertRun(db: Db, owner: string, status: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`INSERT INTO messages (id, owner_id, thread_id, role, content) VALUES (${id}, ${owner}, ${owner}, 'user', 'Where is my AI money going?')`.execute(db);
  await sql`INSERT INTO runs (id, owner_id, workspace_id, thread_id, message_id, status) VALUES (${id}, ${owner}, ${owner}, ${owner}, ${id}, ${status})`.execute(db);
  return id;
}

/** Well over TOAST's 2 KB, varied enough not to shrink to nothing: a data step's rows. */
function stepsOf(tag: string) {
  return { data: { rows: Array.from({ length: 400 }, (_, i) => ({ day: `2026-11-${String((i % 28) + 1).padStart(2, '0')}`, model: `${tag}-model-${i % 17}`, costUsd: i * 0.0137 })) } };
}

/**
 * Migration 0019: the owner's runs going are counted off an index of their own, and a run's large
 * JSON (checkpoint, events, answer) is compressed with lz4 where the server has it. What matters
 * to a user: the count the cap reads stays right, and large values written after the change read
 * back exactly, beside those written before it.
 */
describe.each(engineSetups())("migration 0019, a run's write costs ($name)", (engine) => {
  it.skipIf(engine.skipReason !== null)(`keeps large run values intact across the change, and compresses new ones with lz4 where the server can ${engine.skipReason ?? ''}`, async () => {
    await withFreshDatabase(engine.postgresUrl, 'm0019', async (db) => {
      await migrateTo(db, '0018-usage-versions');
      const owner = await insertOwner(db);
      const runIds = [await insertRun(db, owner, 'running'), await insertRun(db, owner, 'running')];
      await saveRunCheckpoints(db, [{ runId: runIds[0]!, checkpoint: { steps: stepsOf('before'), seq: 7 } }]);

      expect(await migrateToLatest(db)).toEqual(['0019-run-write-costs']);
      await saveRunCheckpoints(db, [{ runId: runIds[1]!, checkpoint: { steps: stepsOf('after'), seq: 9 } }]);

      expect(await loadRunCheckpoint(db, runIds[0]!)).toEqual({ steps: stepsOf('before'), seq: 7 });
      expect(await loadRunCheckpoint(db, runIds[1]!)).toEqual({ steps: stepsOf('after'), seq: 9 });
      const lz4 = await sql<{ lz4: boolean }>`
        SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4`.execute(db);
      const compression = await sql<{ method: string | null }>`SELECT pg_column_compression(steps) AS method FROM run_checkpoints WHERE run_id = ${runIds[1]!}`.execute(db);
      // The local PostgreSQL is built with lz4 (Debian's is); PGlite is not, and keeps its default.
      if (engine.postgresUrl) expect(lz4.rows[0]?.lz4).toBe(true);
      expect(compression.rows[0]?.method).toBe(lz4.rows[0]?.lz4 ? 'lz4' : 'pglz');
    });
  }, 60_000);

  it.skipIf(engine.skipReason !== null)(`counts the owner's runs going off the partial index, whatever their number ${engine.skipReason ?? ''}`, async () => {
    await withFreshDatabase(engine.postgresUrl, 'm0019', async (db) => {
      await migrateToLatest(db);
      const owner = await insertOwner(db);
      const statuses = ['queued', 'running', 'completed', 'failed', 'cancelled'];
      for (let i = 0; i < 50; i++) await insertRun(db, owner, statuses[i % 5]!);
      const going = await sql<{ n: number }>`SELECT count(*)::integer AS n FROM runs WHERE owner_id = ${owner} AND status IN ('queued', 'running')`.execute(db);
      expect(going.rows[0]?.n).toBe(20);
      // The planner may scan a table this small whole; with that choice taken away it must use the index.
      await db.transaction().execute(async (tx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(tx);
        const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT count(*) FROM runs WHERE owner_id = ${owner} AND status IN ('queued', 'running')`.execute(tx);
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('runs_owner_going');
      });
    });
  }, 60_000);
});
