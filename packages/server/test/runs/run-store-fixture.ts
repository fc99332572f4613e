import fs from 'node:fs/promises';
import crypto from 'node:crypto';
import type { RunEvent } from '@tally/protocol';
import { sql } from 'kysely';
import type { RunEventLog } from '../../src/runs/run-event-log.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createPersonalWorkspace } from '../../src/workspaces/personal-workspace.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';
import { uniqueName } from '../support/services.js';
import type { LoggedEvent } from '../../src/runs/run-event-rows.js';

/**
 * An embedded store in a temp folder, for the run tests; or, given `postgresUrl`, a schema of its
 * own on that server (dropped on close), for statements whose meaning the two engines could differ on.
 */
export async function openRunStore(postgresUrl?: string): Promise<{ db: Db; close(): Promise<void> }> {
  if (postgresUrl) {
    const schema = uniqueName('runs');
    const { db, leaseDb } = await openDatabase({ url: postgresUrl, schema, dataDir: '' });
    // Named, so the migrator's lock table is looked up in this schema only (store/migrate.ts).
    await migrateToLatest(db, schema);
    return {
      db,
      async close() {
        await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
        await Promise.all([db.destroy(), leaseDb?.destroy()]);
      },
    };
  }
  const dir = await newEmbeddedDataDir('tally-runs-');
  const { db } = await openDatabase({ url: undefined, dataDir: dir });
  await migrateToLatest(db);
  return {
    db,
    async close() {
      await db.destroy();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A user, a thread, the user's message and a run of it (running unless said otherwise). */
export async function insertRun(db: Db, status: 'queued' | 'running' | 'completed' = 'running', text = 'Where is my AI money going?') {
  const userId = crypto.randomUUID();
  const threadId = crypto.randomUUID();
  const runId = crypto.randomUUID();
  const messageId = crypto.randomUUID();
  await db.insertInto('users').values({ id: userId, email: `${userId}@example.com`, password_hash: 'x', role: 'member' }).execute();
  await createPersonalWorkspace(db, userId);
  await db.insertInto('threads').values({ id: threadId, owner_id: userId, workspace_id: userId, title: 't' }).execute();
  await db.insertInto('messages').values({ id: messageId, owner_id: userId, thread_id: threadId, role: 'user', content: text, run_id: null }).execute();
  await db.insertInto('runs').values({ id: runId, owner_id: userId, workspace_id: userId, thread_id: threadId, message_id: messageId, client_command_id: null, status }).execute();
  return { id: runId, threadId, userId, lastSeq: 0 };
}

export interface CountedWrite {
  at: number;
  seqs: number[];
  inTransaction: boolean;
}

/** Every append that reached the log (after it resolved), with when and what it carried. */
export function countingLog(log: RunEventLog): RunEventLog & { writes: CountedWrite[] } {
  const writes: CountedWrite[] = [];
  return {
    writes,
    async append(events: LoggedEvent[], tx?: Db) {
      await log.append(events, tx);
      writes.push({ at: performance.now(), seqs: events.map((e) => e.event.seq), inTransaction: tx !== undefined });
    },
    async start(start) {
      const outcome = await log.start(start);
      if (outcome.outcome === 'queued') writes.push({ at: performance.now(), seqs: [start.queued.seq], inTransaction: true });
      return outcome;
    },
    async end(end) {
      const ended = await log.end(end);
      if (ended) writes.push({ at: performance.now(), seqs: end.events.map((e) => e.event.seq), inTransaction: true });
      return ended;
    },
    list: (run, afterSeq, limit) => log.list(run, afterSeq, limit),
  };
}
