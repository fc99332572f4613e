import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPglitePreparedStatements } from '../../src/store/pglite-prepared-statements.js';
import { JoinedTextParam } from '../../src/store/joined-text-param.js';
import type { PreparedStatementOptions } from '../../src/store/statement-names.js';

/**
 * The embedded engine's database thread runs the statements it is sent again and again as named
 * prepared statements, through PGlite's protocol calls. What a caller gets back must be what
 * PGlite's own query gives for the same statement: rows with every type parsed the same, the
 * affected count, errors with their SQLSTATE fields, and the connection usable after a failure.
 * Each statement is run both ways on one real PGlite and compared.
 */
describe('prepared statements on PGlite', () => {
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      create table items (
        id integer primary key, label text not null unique, big bigint, price numeric(12, 6), at timestamptz,
        day date, meta jsonb, tags text[], owner uuid, ok boolean, ratio double precision
      );
      insert into items values
        (1, 'one', 9007199254740993, 1.250000, '2026-12-01T10:00:00Z', '2026-12-01', '{"a": [1, 2]}', '{x,y}', '00000000-0000-4000-8000-000000000001', true, 0.5),
        (2, 'two', null, null, null, null, null, null, null, null, null);
    `);
  });
  afterAll(async () => {
    await db.close();
  });

  async function preparedNames(): Promise<string[]> {
    return (await db.query<{ name: string }>('select name from pg_prepared_statements order by name')).rows.map((r) => r.name);
  }

  async function deallocateAll(): Promise<void> {
    await db.exec('deallocate all');
  }

  /** The statement through PGlite's own query: what the prepared path must give. */
  async function reference(text: string, params: unknown[]) {
    const result = await db.query<Record<string, unknown>>(text, params);
    return { rows: result.rows, affectedRows: result.affectedRows };
  }

  function statements(options: PreparedStatementOptions = {}) {
    return createPglitePreparedStatements(db, options);
  }

  it('names a text with parameters on its third send, and answers each call as PGlite’s query does, every type parsed alike', async () => {
    await deallocateAll();
    const s = statements();
    const text = 'select * from items where id = $1 or label = $2 order by id';
    for (const [round, params] of [[1, 'none'], [2, 'none'], [1, 'two'], [3, 'one'], [7, 'nothing']].entries()) {
      expect(await s.query(text, params as unknown[])).toEqual(await reference(text, params as unknown[]));
      expect(await preparedNames()).toHaveLength(round < 2 ? 0 : 1);
    }
    const [row] = (await s.query(text, [1, 'x'])).rows;
    expect(row).toMatchObject({ id: 1, big: 9007199254740993n, at: new Date('2026-12-01T10:00:00Z'), meta: { a: [1, 2] }, tags: ['x', 'y'], ok: true });
  });

  it('serialises each parameter by the type PostgreSQL inferred for it: dates, JSON, arrays, nulls, numbers as text', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1 });
    const text = `insert into items (id, label, big, price, at, day, meta, tags, owner, ok, ratio)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`;
    const params = [10, 'ten', 12345678901234n, '3.141593', new Date('2026-12-07T12:00:00.123Z'), '2026-12-07', { nested: { list: [1, 'two', null] } }, ['a', 'b,c', 'd"e'], '00000000-0000-4000-8000-00000000000a', false, 1.5];
    const named = await s.query(text, params);
    expect(await preparedNames()).toHaveLength(1);
    await db.query('delete from items where id = 10');
    expect(named).toEqual(await reference(text, params));
    await db.query('delete from items where id = 10');
    // Nulls and undefined go as SQL NULL; the row comes back as a plain select reads it.
    const withNulls = [11, 'eleven', null, null, undefined, null, null, null, null, null, null];
    const inserted = await s.query(text, withNulls);
    expect(inserted).toEqual({ rows: (await reference('select * from items where id = $1', [11])).rows, affectedRows: 1 });
    await db.query('delete from items where id >= 10');
  });

  it('counts the rows an insert, update or delete touched, as PGlite’s query does', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1 });
    const insert = 'insert into items (id, label) select g, $1 || g from generate_series($2::int, $3::int) g';
    const update = 'update items set ok = $1 where id >= $2';
    const remove = 'delete from items where id >= $1';
    expect(await s.query(insert, ['n', 20, 24])).toEqual({ rows: [], affectedRows: 5 });
    expect(await s.query(update, [true, 22])).toEqual({ rows: [], affectedRows: 3 });
    expect(await s.query(remove, [20])).toEqual({ rows: [], affectedRows: 5 });
    expect(await s.query(insert, ['n', 20, 21])).toEqual(await reference(remove, [20]).then(() => reference(insert, ['n', 20, 21])));
    await s.query(remove, [20]);
  });

  it('fails a statement with the database’s own error fields, and the connection answers the next one', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1 });
    const insert = 'insert into items (id, label) values ($1, $2)';
    const failure = await s.query(insert, [30, 'one']).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'items_label_key', table: 'items' });
    expect((failure as Error).message).toMatch(/duplicate key/);
    expect(failure).toMatchObject({ query: insert, params: [30, 'one'] });
    const badValue = await s.query('select * from items where id = $1', ['not a number']).catch((error: unknown) => error);
    expect(badValue).toMatchObject({ code: '22P02' });
    expect(await s.query(insert, [30, 'thirty'])).toEqual({ rows: [], affectedRows: 1 });
    await db.query('delete from items where id = 30');
  });

  it('inside a transaction a failure fails the transaction; ROLLBACK gives a clean connection and nothing of it is kept', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1 });
    const insert = 'insert into items (id, label) values ($1, $2)';
    await s.query('begin', []);
    await s.query(insert, [40, 'forty']);
    await expect(s.query(insert, [41, 'one'])).rejects.toMatchObject({ code: '23505' });
    await expect(s.query(insert, [42, 'forty-two'])).rejects.toMatchObject({ code: '25P02' });
    await s.query('rollback', []);
    expect(db.isInTransaction()).toBe(false);
    expect((await s.query('select count(*)::int as n from items where id >= $1', [40])).rows).toEqual([{ n: 0 }]);
    await s.query('begin', []);
    await s.query(insert, [43, 'forty-three']);
    await s.query('commit', []);
    expect((await s.query('select label from items where id = $1', [43])).rows).toEqual([{ label: 'forty-three' }]);
    await db.query('delete from items where id >= 40');
  });

  it('runs a statement whose result columns changed since it was named again unnamed outside a transaction; inside one it fails that transaction', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1 });
    await db.exec('create table widened (id integer); insert into widened values (1); create table widened_tx (id integer); insert into widened_tx values (1)');
    const all = 'select * from widened where id = $1';
    expect((await s.query(all, [1])).rows).toEqual([{ id: 1 }]);
    await db.exec(`alter table widened add column note text default 'added'`);
    expect((await s.query(all, [1])).rows).toEqual([{ id: 1, note: 'added' }]);
    expect((await s.query(all, [1])).rows).toEqual([{ id: 1, note: 'added' }]);

    const allTx = 'select * from widened_tx where id = $1';
    expect((await s.query(allTx, [1])).rows).toEqual([{ id: 1 }]);
    await db.exec(`alter table widened_tx add column note text default 'added'`);
    await s.query('begin', []);
    await expect(s.query(allTx, [1])).rejects.toMatchObject({ code: '0A000' });
    await s.query('rollback', []);
    expect((await s.query(allTx, [1])).rows).toEqual([{ id: 1, note: 'added' }]);
  });

  it('never names a text without parameters, and prepares at most maxPerConnection texts; past it they run unnamed and still answer', async () => {
    await deallocateAll();
    const s = statements({ seenBeforeNaming: 1, maxPerConnection: 2 });
    for (let round = 0; round < 2; round++) {
      expect((await s.query('select count(*)::int as n from items', [])).rows).toEqual([{ n: 2 }]);
      expect((await s.query('select label from items where id = $1', [1])).rows).toEqual([{ label: 'one' }]);
      expect((await s.query('select id from items where label = $1', ['two'])).rows).toEqual([{ id: 2 }]);
      expect((await s.query('select id, label from items where id >= $1 order by id', [1])).rows).toEqual([
        { id: 1, label: 'one' },
        { id: 2, label: 'two' },
      ]);
    }
    expect(await preparedNames()).toHaveLength(2);
  });

  it('joins a parameter sent in parts on the database thread, as it arrives there (posted) or as built, named or not', async () => {
    await deallocateAll();
    const segments = ['{"id":1,"label":"eins ü"}', '{"id":2,"label":"zwei"},{"id":3,"label":"drei 😀"}'];
    const param = new JoinedTextParam('[', segments, ',', ']');
    const posted = structuredClone(param);
    expect(posted).toEqual({ joinedText: { prefix: '[', segments, separator: ',', suffix: ']' } });
    const text = 'select x.id, x.label from json_to_recordset($1::json) as x(id int, label text) order by x.id';
    const expected = [
      { id: 1, label: 'eins ü' },
      { id: 2, label: 'zwei' },
      { id: 3, label: 'drei 😀' },
    ];
    for (const options of [{ seenBeforeNaming: 1 }, { maxPerConnection: 0 }]) {
      const s = statements(options);
      for (const given of [param, posted]) expect((await s.query(text, [given])).rows).toEqual(expected);
    }
    expect(await preparedNames()).toHaveLength(1);
    // Any other object is a value of its own (JSON), never taken for one sent in parts.
    expect((await statements().query('select $1::jsonb as v', [{ joinedText: 'x', other: 1 }])).rows).toEqual([{ v: { joinedText: 'x', other: 1 } }]);
  });
});
