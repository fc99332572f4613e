import crypto from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinedTextParam } from '../../src/store/joined-text-param.js';
import { poolWithPreparedStatements, type PreparedStatementOptions } from '../../src/store/prepared-statements.js';
import { engineSetups } from '../support/engines.js';

const postgres = engineSetups().find((e) => e.name === 'postgres+redis')!;

interface Tables {
  items: { id: number; label: string };
}

/**
 * The statements a node repeats run as named prepared statements (parsed once per connection),
 * on a real PostgreSQL: what is named and when, the bounds, and a prepared statement whose result
 * columns changed under it (another node's migration).
 */
describe.skipIf(postgres.skipReason !== null)('prepared statements on PostgreSQL', () => {
  const schema = `prepared_${crypto.randomBytes(5).toString('hex')}`;
  const opened: Array<Kysely<Tables>> = [];

  /** A database over a one-connection pool (so what the connection prepared can be read back on it). */
  function open(options?: PreparedStatementOptions): Kysely<Tables> {
    const pool = new pg.Pool({ connectionString: postgres.postgresUrl!, max: 1, options: `-c search_path=${schema}` });
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: poolWithPreparedStatements(pool, options) }) });
    opened.push(db);
    return db;
  }

  /** The statements the connection holds, read without parameters (so never prepared itself). */
  async function preparedOn(db: Kysely<Tables>): Promise<string[]> {
    const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db);
    return rows.map((r) => r.statement);
  }

  const byId = (db: Kysely<Tables>, id: number) => db.selectFrom('items').selectAll().where('id', '=', id).execute();

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: postgres.postgresUrl! });
    await admin.connect();
    await admin.query(`create schema ${schema}; create table ${schema}.items (id integer primary key, label text not null); insert into ${schema}.items values (1, 'one'), (2, 'two'), (3, 'three')`);
    await admin.end();
  });
  afterAll(async () => {
    for (const db of opened) await db.destroy();
    const admin = new pg.Client({ connectionString: postgres.postgresUrl! });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  it('names a statement with parameters once it was sent three times, and answers each call with its own values', async () => {
    const db = open();
    expect(await byId(db, 1)).toEqual([{ id: 1, label: 'one' }]);
    expect(await byId(db, 2)).toEqual([{ id: 2, label: 'two' }]);
    expect(await preparedOn(db)).toEqual([]);
    expect(await byId(db, 3)).toEqual([{ id: 3, label: 'three' }]);
    expect(await byId(db, 1)).toEqual([{ id: 1, label: 'one' }]);
    expect(await byId(db, 4)).toEqual([]);
    const prepared = await preparedOn(db);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]).toContain('from "items"');
  });

  it('never names a statement without parameters (BEGIN, COMMIT, several statements in one text)', async () => {
    const db = open({ seenBeforeNaming: 1 });
    for (let i = 0; i < 3; i++) {
      await db.transaction().execute(async (tx) => sql`select count(*) from items`.execute(tx));
      await sql.raw(`select 1; select 2`).execute(db);
    }
    expect(await preparedOn(db)).toEqual([]);
  });

  it('prepares at most maxPerConnection statements on a connection; past it texts run unnamed and still answer', async () => {
    const db = open({ seenBeforeNaming: 1, maxPerConnection: 2 });
    const texts = [
      (id: number) => db.selectFrom('items').select('label').where('id', '=', id).execute(),
      (id: number) => db.selectFrom('items').select('id').where('id', '=', id).execute(),
      (id: number) => db.selectFrom('items').select(['id', 'label']).where('id', '>=', id).orderBy('id').execute(),
    ];
    for (let round = 0; round < 2; round++) {
      expect(await texts[0]!(1)).toEqual([{ label: 'one' }]);
      expect(await texts[1]!(2)).toEqual([{ id: 2 }]);
      expect(await texts[2]!(2)).toEqual([
        { id: 2, label: 'two' },
        { id: 3, label: 'three' },
      ]);
    }
    expect(await preparedOn(db)).toHaveLength(2);
  });

  it('runs a statement whose result columns changed since it was prepared again unnamed, outside a transaction', async () => {
    const db = open({ seenBeforeNaming: 1 });
    await db.schema.createTable('widened').addColumn('id', 'integer').execute();
    await sql`insert into widened values (1)`.execute(db);
    const all = () => sql<Record<string, unknown>>`select * from widened where id = ${1}`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1 }]);
    expect(await preparedOn(db)).toHaveLength(1);
    // Another node's migration adds a column.
    const other = new pg.Client({ connectionString: postgres.postgresUrl! });
    await other.connect();
    await other.query(`alter table ${schema}.widened add column note text default 'added'`);
    await other.end();
    expect((await all()).rows).toEqual([{ id: 1, note: 'added' }]);
    expect((await all()).rows).toEqual([{ id: 1, note: 'added' }]);
  });

  it('inside a transaction the changed statement fails that transaction, and runs unnamed from then on', async () => {
    const db = open({ seenBeforeNaming: 1 });
    await db.schema.createTable('widened_tx').addColumn('id', 'integer').execute();
    await sql`insert into widened_tx values (1)`.execute(db);
    const all = (on: Kysely<Tables>) => sql<Record<string, unknown>>`select * from widened_tx where id = ${1}`.execute(on);
    expect((await all(db)).rows).toEqual([{ id: 1 }]);
    const other = new pg.Client({ connectionString: postgres.postgresUrl! });
    await other.connect();
    await other.query(`alter table ${schema}.widened_tx add column note text default 'added'`);
    await other.end();
    await expect(db.transaction().execute((tx) => all(tx))).rejects.toMatchObject({ code: '0A000' });
    expect(await db.transaction().execute(async (tx) => (await all(tx)).rows)).toEqual([{ id: 1, note: 'added' }]);
  });

  it('leaves texts sent fewer than three times unnamed (one-off statements cost a connection nothing)', async () => {
    const db = open();
    for (let k = 0; k < 5; k++) {
      const rows = await sql<{ k: number; n: number }>`select ${sql.raw(String(k))} as k, ${k}::integer as n`.execute(db);
      expect(rows.rows).toEqual([{ k, n: k }]);
    }
    expect(await preparedOn(db)).toEqual([]);
  });

  it('names at most maxNamed texts in all, and forgets the counts of unnamed texts past maxCounted', async () => {
    const db = open({ seenBeforeNaming: 2, maxNamed: 1, maxCounted: 2 });
    const select = (k: number) => sql<{ k: number }>`select ${sql.raw(String(k))} as k where ${k}::integer = ${k}::integer`.execute(db);
    for (let round = 0; round < 2; round++) for (const k of [1, 2]) expect((await select(k)).rows).toEqual([{ k }]);
    // Both were sent twice; only the first was named.
    expect(await preparedOn(db)).toHaveLength(1);
    // Counting 3 and 4 overflows the count of unnamed texts: 2's count is forgotten, 1 stays named.
    await select(3);
    await select(4);
    await select(2);
    expect((await select(1)).rows).toEqual([{ k: 1 }]);
    expect(await preparedOn(db)).toHaveLength(1);
  });

  it('sends a parameter given in parts as their joined text, named or not', async () => {
    const db = open({ seenBeforeNaming: 1 });
    const json = new JoinedTextParam('[', ['{"id":7,"label":"€ ü 😀"}', '{"id":8,"label":"x"}'], ',', ']');
    for (let round = 0; round < 2; round++) {
      const { rows } = await sql<{ id: number; label: string }>`select * from json_to_recordset(${json}::json) as x(id int, label text) order by id`.execute(db);
      expect(rows).toEqual([
        { id: 7, label: '€ ü 😀' },
        { id: 8, label: 'x' },
      ]);
    }
  });
});
