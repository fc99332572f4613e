import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { engineSetups } from '../support/engines.js';
import { uniqueName } from '../support/services.js';

/**
 * An upgrade from every earlier schema version with data in it: the database is brought to each
 * version in turn (0001, 0002, ... whatever migrate.ts lists, so later migrations are included
 * without touching this file), representative rows are written at that version with the columns
 * every version has, and at the end, on the latest version, every row written at every version
 * is read back intact.
 */
interface Written {
  version: string;
  userId: string;
  email: string;
  threadId: string;
  title: string;
  messageId: string;
  runId: string;
  eventData: { agent: string; text: string };
  recordKey: string;
  inputTokens: number;
  costUsd: number;
}

async function writeRows(db: Db, version: string, index: number): Promise<Written> {
  const w: Written = {
    version,
    userId: crypto.randomUUID(),
    email: `upgrade-${index}@example.com`,
    threadId: crypto.randomUUID(),
    title: `Thread written at ${version}`,
    messageId: crypto.randomUUID(),
    runId: crypto.randomUUID(),
    eventData: { agent: 'triage', text: `thinking at ${version} — ünïcode ✓` },
    recordKey: `rec-${version}`,
    inputTokens: 1000 + index,
    costUsd: 0.125 * (index + 1),
  };
  await sql`INSERT INTO users (id, email, password_hash, role) VALUES (${w.userId}, ${w.email}, 'not-a-real-hash', 'member')`.execute(db);
  // As the app at each version wrote them: from 0013 every account has a personal workspace (a
  // random id until 0015, its person's id since), and from 0015 threads and runs name theirs.
  const at = (name: string) => MIGRATION_NAMES.indexOf(version) >= MIGRATION_NAMES.indexOf(name);
  const scoped = at('0015-workspace-data');
  if (at('0013-workspaces')) {
    const workspaceId = scoped ? w.userId : crypto.randomUUID();
    await sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${workspaceId}, 'Personal', ${w.userId})`.execute(db);
    await sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${workspaceId}, ${w.userId}, 'owner')`.execute(db);
  }
  if (scoped) {
    await sql`INSERT INTO threads (id, owner_id, workspace_id, title) VALUES (${w.threadId}, ${w.userId}, ${w.userId}, ${w.title})`.execute(db);
  } else {
    await sql`INSERT INTO threads (id, owner_id, title) VALUES (${w.threadId}, ${w.userId}, ${w.title})`.execute(db);
  }
  await sql`INSERT INTO messages (id, owner_id, thread_id, role, content) VALUES (${w.messageId}, ${w.userId}, ${w.threadId}, 'user', ${`question at ${version}`})`.execute(db);
  if (scoped) {
    await sql`INSERT INTO runs (id, owner_id, workspace_id, thread_id, message_id, status, last_seq, finished_at)
      VALUES (${w.runId}, ${w.userId}, ${w.userId}, ${w.threadId}, ${w.messageId}, 'completed', 2, now())`.execute(db);
  } else {
    await sql`INSERT INTO runs (id, owner_id, thread_id, message_id, status, last_seq, finished_at)
      VALUES (${w.runId}, ${w.userId}, ${w.threadId}, ${w.messageId}, 'completed', 2, now())`.execute(db);
  }
  await sql`INSERT INTO run_events (run_id, seq, type, data, ts) VALUES
    (${w.runId}, 1, 'run_queued', '{}'::jsonb, now()),
    (${w.runId}, 2, 'agent_thinking', ${JSON.stringify(w.eventData)}::jsonb, now())`.execute(db);
  await sql`INSERT INTO usage_records (owner_id, record_key, ts, provider, model, project, feature, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, status, interactive, batch, attempt, cost_usd)
    VALUES (${w.userId}, ${w.recordKey}, '2026-01-02T03:04:05Z', 'openai', 'gpt-4o', 'proj', 'feat', ${w.inputTokens}, 20, 0, 0, 'ok', true, false, 1, ${w.costUsd})`.execute(db);
  return w;
}

async function expectIntact(db: Db, w: Written): Promise<void> {
  const user = await sql<{ email: string }>`SELECT email FROM users WHERE id = ${w.userId}`.execute(db);
  expect(user.rows, `user written at ${w.version}`).toEqual([{ email: w.email }]);
  // Whenever it was written, the thread ends in its author's personal workspace, whose id is the author's.
  const thread = await sql<{ title: string; owner_id: string; workspace_id: string }>`SELECT title, owner_id, workspace_id FROM threads WHERE id = ${w.threadId}`.execute(db);
  expect(thread.rows, `thread written at ${w.version}`).toEqual([{ title: w.title, owner_id: w.userId, workspace_id: w.userId }]);
  const message = await sql<{ content: string }>`SELECT content FROM messages WHERE id = ${w.messageId}`.execute(db);
  expect(message.rows).toEqual([{ content: `question at ${w.version}` }]);
  const run = await sql<{ status: string; last_seq: number }>`SELECT status, last_seq FROM runs WHERE id = ${w.runId}`.execute(db);
  expect(run.rows.map((r) => ({ status: r.status, last_seq: Number(r.last_seq) })), `run written at ${w.version}`).toEqual([{ status: 'completed', last_seq: 2 }]);
  const events = await sql<{ seq: number; type: string; data: unknown }>`SELECT seq, type, data FROM run_events WHERE run_id = ${w.runId} ORDER BY seq`.execute(db);
  expect(events.rows.map((e) => ({ seq: Number(e.seq), type: e.type, data: e.data })), `events written at ${w.version}`).toEqual([
    { seq: 1, type: 'run_queued', data: {} },
    { seq: 2, type: 'agent_thinking', data: w.eventData },
  ]);
  const usage = await sql<{ input_tokens: number; cost_usd: number; model: string }>`
    SELECT input_tokens, cost_usd, model FROM usage_records WHERE owner_id = ${w.userId} AND record_key = ${w.recordKey}`.execute(db);
  expect(
    usage.rows.map((u) => ({ input_tokens: Number(u.input_tokens), cost_usd: Number(u.cost_usd), model: u.model })),
    `usage record written at ${w.version}`,
  ).toEqual([{ input_tokens: w.inputTokens, cost_usd: w.costUsd, model: 'gpt-4o' }]);
}

describe.each(engineSetups())('upgrading from every schema version ($name)', (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it.skipIf(engine.skipReason !== null)(`keeps the rows written at each of ${MIGRATION_NAMES.length} versions ${engine.skipReason ?? ''}`, async () => {
    expect(MIGRATION_NAMES.length).toBeGreaterThanOrEqual(8);
    const schema = engine.postgresUrl ? uniqueName('upgrade') : undefined;
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-upgrade-'));
    const { db } = await openDatabase({ url: engine.postgresUrl ?? undefined, dataDir, ...(schema ? { schema } : {}) });
    cleanups.push(async () => {
      await db.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
      if (schema) {
        const client = new pg.Client({ connectionString: engine.postgresUrl! });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    });

    const written: Written[] = [];
    // Every version but the latest gets rows, then the next migration runs over them.
    for (const [index, version] of MIGRATION_NAMES.slice(0, -1).entries()) {
      await migrateTo(db, version, schema);
      written.push(await writeRows(db, version, index));
    }
    const applied = await migrateToLatest(db, schema);
    expect(applied).toEqual(MIGRATION_NAMES.slice(-1));
    for (const w of written) await expectIntact(db, w);

    // Rows written on the latest version live beside them, and nothing is left to migrate.
    written.push(await writeRows(db, MIGRATION_NAMES.at(-1)!, MIGRATION_NAMES.length));
    await expectIntact(db, written.at(-1)!);
    expect(await migrateToLatest(db, schema)).toEqual([]);
    const counted = await sql<{ n: string }>`SELECT count(*)::text AS n FROM usage_records`.execute(db);
    expect(Number(counted.rows[0]!.n)).toBe(MIGRATION_NAMES.length);
  }, 120_000);
});
