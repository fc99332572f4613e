import crypto from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import type { Db } from '../../src/store/database.js';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { TALLY_OWN_USAGE_WORKSPACE_NAME } from '../../src/store/migrations/0015-workspace-data.js';
import { SYSTEM_USER_ID } from '../../src/store/system-user.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { createSqlUsageExplorer } from '../../src/usage/sql/sql-usage-explorer.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import { withFreshDatabase } from '../support/fresh-database.js';

/**
 * Migration 0015 on a database holding what Tally kept at 0014: accounts made before workspaces
 * (their personal workspace from 0013) and after (from sign-up), both with random ids; a personal
 * workspace with a second member and an invitation; a team workspace with members and an
 * invitation; audit rows; usage (records and rollups, written by the store) of two people and of
 * Tally itself; threads, messages, runs, run events, feedback and API keys. After it: every
 * personal workspace has its person's id and kept its members, invitations and audit rows; the
 * usage store reads, under that id, the same figures as before; threads, runs and keys are the
 * personal workspace's; the team workspace is untouched. Down and up again gives the same state.
 */
const postgresUrl = inject('postgresUrl');
const MIGRATION = '0015-workspace-data';
const BEFORE = MIGRATION_NAMES[MIGRATION_NAMES.indexOf(MIGRATION) - 1]!;
const BEFORE_WORKSPACES = MIGRATION_NAMES[MIGRATION_NAMES.indexOf('0013-workspaces') - 1]!;
const prices = createGenaiPriceCatalog();

const priced = (seed: number) => [...generateUsage({ seed, days: 4, requestsPerDay: 40, end: new Date('2026-11-01T00:00:00Z') })].map((r) => priceUsageRecord(prices, r));

/** Every figure the usage store and the explorer give for one owner: whole history, whole days (rollups) and a partial range (records). */
async function figures(db: Db, ownerId: string): Promise<unknown> {
  const store = createSqlUsageStore(db);
  const explorer = createSqlUsageExplorer(db);
  const days = { from: '2026-10-29T00:00:00Z', to: '2026-10-31T00:00:00Z' };
  const partial = { from: '2026-10-29T06:30:00Z', to: '2026-10-30T18:15:00Z' };
  return {
    overview: await store.overview(ownerId),
    aggregate: await store.aggregate(ownerId),
    daysAggregate: await store.aggregate(ownerId, days),
    partialAggregate: await store.aggregate(ownerId, partial),
    prefixStats: await store.prefixStats(ownerId),
    outputStats: await store.outputStats(ownerId),
    partialOutputStats: await store.outputStats(ownerId, partial),
    requests: await explorer.requestPage(ownerId, { filters: {}, limit: 25, offset: 10 }),
    latency: await explorer.latencyByModel(ownerId, {}),
  };
}

interface Person {
  id: string;
  /** Their personal workspace's id at 0014 (random). */
  oldWorkspaceId: string;
}

async function personalWorkspaceOf(db: Db, userId: string): Promise<string> {
  const row = await sql<{ id: string }>`SELECT id FROM workspaces WHERE personal_of = ${userId}`.execute(db);
  return row.rows[0]!.id;
}

async function insertUser(db: Db, id: string, label: string): Promise<void> {
  await sql`INSERT INTO users (id, email, password_hash, role) VALUES (${id}, ${`${label}-${id}@test.invalid`}, 'x', 'member')`.execute(db);
}

/** A thread with a question, its answer, a finished run with events and a rating, as 0014 stored them. */
async function insertConversation(db: Db, ownerId: string, title: string): Promise<{ threadId: string; runId: string }> {
  const threadId = crypto.randomUUID();
  const runId = crypto.randomUUID();
  const questionId = crypto.randomUUID();
  await sql`INSERT INTO threads (id, owner_id, title) VALUES (${threadId}, ${ownerId}, ${title})`.execute(db);
  await sql`INSERT INTO messages (id, owner_id, thread_id, role, content) VALUES (${questionId}, ${ownerId}, ${threadId}, 'user', ${`${title}?`})`.execute(db);
  await sql`INSERT INTO runs (id, owner_id, thread_id, message_id, status, last_seq, finished_at) VALUES (${runId}, ${ownerId}, ${threadId}, ${questionId}, 'completed', 2, now())`.execute(db);
  await sql`INSERT INTO messages (id, owner_id, thread_id, role, content, run_id) VALUES (${crypto.randomUUID()}, ${ownerId}, ${threadId}, 'assistant', 'An answer', ${runId})`.execute(db);
  await sql`INSERT INTO run_events (run_id, seq, type, data, ts) VALUES
    (${runId}, 1, 'run_queued', '{"text":"q"}', now()), (${runId}, 2, 'run_completed', '{}', now())`.execute(db);
  await sql`INSERT INTO answer_feedback (run_id, owner_id, rating) VALUES (${runId}, ${ownerId}, 'up')`.execute(db);
  return { threadId, runId };
}

async function insertApiKey(db: Db, ownerId: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`INSERT INTO api_keys (id, owner_id, name, scopes, prefix, key_hash) VALUES (${id}, ${ownerId}, 'ci', '["usage:write"]', 'tly_x', ${crypto.randomBytes(16).toString('hex')})`.execute(db);
  return id;
}

async function insertInvitation(db: Db, workspaceId: string, createdBy: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`INSERT INTO workspace_invitations (id, workspace_id, role, token_hash, created_by, expires_at)
    VALUES (${id}, ${workspaceId}, 'member', ${crypto.randomBytes(16).toString('hex')}, ${createdBy}, now() + interval '7 days')`.execute(db);
  return id;
}

async function rows<T>(db: Db, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** The workspaces' state the migration must give, read the same way each time. */
async function workspaceState(db: Db): Promise<unknown> {
  return {
    // Tally's own workspace is made anew by each up(): its time is that of the last.
    workspaces: await rows(db, sql`SELECT id, name, personal_of, CASE WHEN id = ${SYSTEM_USER_ID} THEN NULL ELSE created_at END AS created_at FROM workspaces ORDER BY id`),
    members: await rows(db, sql`SELECT workspace_id, user_id, role, joined_at FROM workspace_members ORDER BY workspace_id, user_id`),
    invitations: await rows(db, sql`SELECT id, workspace_id, role FROM workspace_invitations ORDER BY id`),
    audit: await rows(db, sql`SELECT id, action, workspace_id FROM audit_events ORDER BY id`),
    threads: await rows(db, sql`SELECT id, owner_id, workspace_id, shared_at FROM threads ORDER BY id`),
    runs: await rows(db, sql`SELECT id, owner_id, workspace_id FROM runs ORDER BY id`),
    keys: await rows(db, sql`SELECT id, owner_id, workspace_id FROM api_keys ORDER BY id`),
  };
}

async function check(db: Db): Promise<void> {
  // Alice and Bob signed up before workspaces: 0013 gave them theirs.
  await migrateTo(db, BEFORE_WORKSPACES);
  const aliceId = crypto.randomUUID();
  const bobId = crypto.randomUUID();
  await insertUser(db, aliceId, 'alice');
  await insertUser(db, bobId, 'bob');
  await migrateTo(db, BEFORE);
  // Carol signed up at 0014: her personal workspace was made with a random id, as sign-up did then.
  const carolId = crypto.randomUUID();
  await insertUser(db, carolId, 'carol');
  const carolOld = crypto.randomUUID();
  await sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${carolOld}, 'Personal', ${carolId})`.execute(db);
  await sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${carolOld}, ${carolId}, 'owner')`.execute(db);
  const alice: Person = { id: aliceId, oldWorkspaceId: await personalWorkspaceOf(db, aliceId) };
  const bob: Person = { id: bobId, oldWorkspaceId: await personalWorkspaceOf(db, bobId) };
  const carol: Person = { id: carolId, oldWorkspaceId: carolOld };
  for (const p of [alice, bob, carol]) expect(p.oldWorkspaceId).not.toBe(p.id);

  // Bob views Alice's personal workspace; an invitation to it waits.
  await sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${alice.oldWorkspaceId}, ${bob.id}, 'viewer')`.execute(db);
  const alicesInvitation = await insertInvitation(db, alice.oldWorkspaceId, alice.id);
  // A team: Alice owns it, Bob is a member, Carol a viewer, and an invitation waits.
  const teamId = crypto.randomUUID();
  await sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${teamId}, 'Team', NULL)`.execute(db);
  for (const [userId, role] of [[alice.id, 'owner'], [bob.id, 'member'], [carol.id, 'viewer']] as const) {
    await sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${teamId}, ${userId}, ${role})`.execute(db);
  }
  const teamInvitation = await insertInvitation(db, teamId, alice.id);
  for (const [action, workspaceId] of [
    ['workspace.invitation_created', alice.oldWorkspaceId],
    ['workspace.member_role_changed', carol.oldWorkspaceId],
    ['workspace.created', teamId],
    ['auth.login', null],
  ] as const) {
    await sql`INSERT INTO audit_events (actor_id, action, workspace_id) VALUES (${alice.id}, ${action}, ${workspaceId})`.execute(db);
  }

  // Usage of Alice, Bob and Tally itself, by the store (records and its rollups); Carol has none.
  // Today's store also bumps the usage version (migration 0018) in the same statement: for these
  // inserts only, the schema of 0014 is lent that table, removed again before migrating on.
  const store = createSqlUsageStore(db);
  const owners = [alice.id, bob.id, SYSTEM_USER_ID];
  await sql`CREATE TABLE usage_versions (owner_id uuid PRIMARY KEY, version bigint NOT NULL)`.execute(db);
  for (const [i, owner] of owners.entries()) await store.insert(owner, priced(70 + i));
  await sql`DROP TABLE usage_versions`.execute(db);
  const before = new Map<string, unknown>();
  for (const owner of [...owners, carol.id]) before.set(owner, await figures(db, owner));
  expect((before.get(alice.id) as { overview: { records: number } }).overview.records).toBeGreaterThan(100);

  const alicesTalk = await insertConversation(db, alice.id, 'Where does the money go');
  const bobsTalk = await insertConversation(db, bob.id, 'Caching');
  await sql`UPDATE threads SET deleted_at = now() WHERE id = ${(await insertConversation(db, alice.id, 'Deleted')).threadId}`.execute(db);
  const keys = { [alice.id]: await insertApiKey(db, alice.id), [bob.id]: await insertApiKey(db, bob.id) };
  const teamBefore = {
    workspace: await rows(db, sql`SELECT id, name, personal_of, created_at FROM workspaces WHERE id = ${teamId}`),
    members: await rows(db, sql`SELECT user_id, role, joined_at FROM workspace_members WHERE workspace_id = ${teamId} ORDER BY user_id`),
  };
  const personalBefore = await rows<{ personal_of: string; created_at: Date; name: string }>(db, sql`SELECT personal_of, name, created_at FROM workspaces WHERE personal_of IS NOT NULL ORDER BY personal_of`);
  const joinedBefore = await rows(db, sql`SELECT m.user_id, m.role, m.joined_at FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id WHERE w.personal_of = ${alice.id} ORDER BY m.user_id`);

  await migrateToLatest(db);

  // Every personal workspace has its person's id; nothing kept an old one.
  const personal = await rows<{ id: string; personal_of: string; name: string; created_at: Date }>(db, sql`SELECT id, personal_of, name, created_at FROM workspaces WHERE personal_of IS NOT NULL ORDER BY personal_of`);
  expect(personal.map((w) => ({ personal_of: w.personal_of, name: w.name, created_at: w.created_at }))).toEqual(personalBefore);
  for (const w of personal) expect(w.id).toBe(w.personal_of);
  const oldIds = [alice, bob, carol].map((p) => p.oldWorkspaceId);
  for (const table of ['workspace_members', 'workspace_invitations', 'audit_events', 'threads', 'runs', 'api_keys']) {
    const left = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE workspace_id IN (${sql.join(oldIds)})`);
    expect(left[0]!.n, table).toBe(0);
  }
  // Alice's personal workspace kept its members (roles, joining times), its invitation and its audit rows.
  expect(await rows(db, sql`SELECT user_id, role, joined_at FROM workspace_members WHERE workspace_id = ${alice.id} ORDER BY user_id`)).toEqual(joinedBefore);
  expect(await rows(db, sql`SELECT id, workspace_id FROM workspace_invitations ORDER BY workspace_id = ${teamId}`)).toEqual([
    { id: alicesInvitation, workspace_id: alice.id },
    { id: teamInvitation, workspace_id: teamId },
  ]);
  expect(await rows(db, sql`SELECT action, workspace_id FROM audit_events ORDER BY id`)).toEqual([
    { action: 'workspace.invitation_created', workspace_id: alice.id },
    { action: 'workspace.member_role_changed', workspace_id: carol.id },
    { action: 'workspace.created', workspace_id: teamId },
    { action: 'auth.login', workspace_id: null },
  ]);
  // The team workspace is untouched.
  expect({
    workspace: await rows(db, sql`SELECT id, name, personal_of, created_at FROM workspaces WHERE id = ${teamId}`),
    members: await rows(db, sql`SELECT user_id, role, joined_at FROM workspace_members WHERE workspace_id = ${teamId} ORDER BY user_id`),
  }).toEqual(teamBefore);
  // Tally's own usage has a workspace with no members.
  expect(await rows(db, sql`SELECT name, personal_of FROM workspaces WHERE id = ${SYSTEM_USER_ID}`)).toEqual([{ name: TALLY_OWN_USAGE_WORKSPACE_NAME, personal_of: null }]);
  expect(await rows(db, sql`SELECT user_id FROM workspace_members WHERE workspace_id = ${SYSTEM_USER_ID}`)).toEqual([]);

  // The usage store reads the same figures under each personal workspace (and Tally's own).
  for (const [owner, figuresBefore] of before) expect(await figures(db, owner), owner).toEqual(figuresBefore);

  // Threads (the deleted one too), runs and keys are their author's personal workspace's; none is shared.
  for (const t of await rows<{ owner_id: string; workspace_id: string; shared_at: Date | null }>(db, sql`SELECT owner_id, workspace_id, shared_at FROM threads`)) {
    expect(t).toEqual({ owner_id: t.owner_id, workspace_id: t.owner_id, shared_at: null });
  }
  expect(await rows(db, sql`SELECT id, workspace_id FROM runs WHERE id IN (${alicesTalk.runId}, ${bobsTalk.runId}) ORDER BY workspace_id = ${bob.id}`)).toEqual([
    { id: alicesTalk.runId, workspace_id: alice.id },
    { id: bobsTalk.runId, workspace_id: bob.id },
  ]);
  for (const r of await rows<{ owner_id: string; workspace_id: string }>(db, sql`SELECT owner_id, workspace_id FROM runs`)) expect(r.workspace_id).toBe(r.owner_id);
  for (const [owner, keyId] of Object.entries(keys)) {
    expect(await rows(db, sql`SELECT workspace_id FROM api_keys WHERE id = ${keyId}`)).toEqual([{ workspace_id: owner }]);
  }
  expect(await rows(db, sql`SELECT count(*)::int AS n FROM messages`)).toEqual([{ n: 6 }]);
  expect(await rows(db, sql`SELECT count(*)::int AS n FROM run_events`)).toEqual([{ n: 6 }]);
  expect(await rows(db, sql`SELECT count(*)::int AS n FROM answer_feedback`)).toEqual([{ n: 3 }]);

  // Usage now belongs to workspaces: the team's can be stored, a made-up workspace's cannot.
  await createSqlUsageStore(db).insert(teamId, priced(90));
  expect(((await figures(db, teamId)) as { overview: { records: number } }).overview.records).toBeGreaterThan(100);
  await expect(createSqlUsageStore(db).insert(crypto.randomUUID(), priced(91).slice(0, 1))).rejects.toThrow();
  // A thread and a run must name a workspace.
  await expect(sql`INSERT INTO threads (id, owner_id, title) VALUES (${crypto.randomUUID()}, ${alice.id}, 'nowhere')`.execute(db)).rejects.toThrow();

  // Down: the columns go, the team's usage with them (no user owns it); people's usage stays as it was.
  const after = await workspaceState(db);
  await migrateTo(db, BEFORE);
  const columns = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name IN ('threads', 'runs', 'api_keys') AND column_name IN ('workspace_id', 'shared_at')`);
  expect(columns[0]!.n).toBe(0);
  expect(await rows(db, sql`SELECT count(*)::int AS n FROM usage_records WHERE owner_id = ${teamId}`)).toEqual([{ n: 0 }]);
  expect(await rows(db, sql`SELECT count(*)::int AS n FROM workspaces WHERE id = ${SYSTEM_USER_ID}`)).toEqual([{ n: 0 }]);
  for (const [owner, figuresBefore] of before) expect(await figures(db, owner), owner).toEqual(figuresBefore);

  // And up again: the same state as after the first time.
  await migrateToLatest(db);
  expect(await workspaceState(db)).toEqual(after);
  for (const [owner, figuresBefore] of before) expect(await figures(db, owner), owner).toEqual(figuresBefore);
}

describe('migration 0015 (workspaces own the data) over data from before it', () => {
  it('on PGlite', () => withFreshDatabase(null, 'm0015', check), 180_000);
  it.runIf(postgresUrl)('on PostgreSQL', () => withFreshDatabase(postgresUrl!, 'm0015', check), 180_000);
});
