import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/store/database.js';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { SYSTEM_USER_ID } from '../../src/store/system-user.js';
import { withFreshDatabase } from '../support/fresh-database.js';

/**
 * Migration 0013 on a database holding accounts, a thread and audit events from before it: each
 * account (and not Tally's own usage owner) gets exactly one personal workspace, which it owns
 * alone; what was there is unchanged; and the migration goes down again cleanly.
 */
const postgresUrl = inject('postgresUrl');
const MIGRATION = '0013-workspaces';
const before = MIGRATION_NAMES[MIGRATION_NAMES.indexOf(MIGRATION) - 1]!;

async function check(db: Db): Promise<void> {
  await migrateTo(db, before);
  const people = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  for (const [i, id] of people.entries()) {
    await sql`INSERT INTO users (id, email, password_hash, role, created_at) VALUES (${id}, ${`${id}@test.invalid`}, 'x', ${i === 0 ? 'admin' : 'member'}, ${`2026-0${i + 1}-01T00:00:00Z`})`.execute(db);
  }
  await sql`INSERT INTO threads (id, owner_id, title) VALUES (${crypto.randomUUID()}, ${people[1]}, 'from before')`.execute(db);
  await sql`INSERT INTO audit_events (actor_id, action) VALUES (${people[0]}, 'auth.login')`.execute(db);

  await migrateToLatest(db);
  const members = await db
    .selectFrom('workspace_members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['m.user_id', 'm.role', 'w.personal_of', 'w.name', 'w.created_at'])
    .execute();
  expect(members.map((m) => m.user_id).sort()).toEqual([...people].sort());
  for (const m of members) {
    expect(m).toMatchObject({ role: 'owner', personal_of: m.user_id, name: 'Personal' });
  }
  // The workspace is as old as its account.
  expect(new Date(members.find((m) => m.user_id === people[2])!.created_at).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  expect(await db.selectFrom('workspaces').select('id').where('personal_of', '=', SYSTEM_USER_ID).execute()).toEqual([]);
  expect(await db.selectFrom('threads').select('title').execute()).toEqual([{ title: 'from before' }]);
  expect(await db.selectFrom('audit_events').select(['action', 'workspace_id']).execute()).toEqual([{ action: 'auth.login', workspace_id: null }]);

  // One personal workspace per person, whatever happens later.
  await expect(sql`INSERT INTO workspaces (id, name, personal_of) VALUES (${crypto.randomUUID()}, 'Second', ${people[0]})`.execute(db)).rejects.toThrow();

  await migrateTo(db, before);
  const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE 'workspace%' AND table_schema = current_schema()`.execute(db);
  expect(tables.rows[0]!.n).toBe(0);
}

describe('migration 0013 (workspaces) over data from before it', () => {
  it('on PGlite', () => withFreshDatabase(null, 'm0013', check), 120_000);
  it.runIf(postgresUrl)('on PostgreSQL', () => withFreshDatabase(postgresUrl!, 'm0013', check), 120_000);
});
