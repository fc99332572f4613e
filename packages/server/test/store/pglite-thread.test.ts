import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pglitePoolOverPort, startPgliteThread, type PgliteThread } from '../../src/store/pglite-thread.js';

/**
 * The embedded database on its own thread, reached over ports: transactions stay whole across
 * clients of different ports, database errors keep their fields, and a client that goes away
 * holding the connection gives it back (its transaction rolled back).
 */
describe('PGlite on its database thread', () => {
  let dir: string;
  let thread: PgliteThread;
  /** Raw SQL on a scratch table: no schema types needed. */
  let main: Kysely<object>;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-pglite-thread-'));
    thread = await startPgliteThread(dir);
    main = new Kysely<object>({ dialect: new PostgresDialect({ pool: thread.pool }) });
    await sql`CREATE TABLE items (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), n bigint NOT NULL DEFAULT 0)`.execute(main);
  }, 180_000);
  afterAll(async () => {
    await main?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps a transaction whole while a client on another port asks', async () => {
    const other = new Kysely<object>({ dialect: new PostgresDialect({ pool: pglitePoolOverPort(thread.connectPort()) }) });
    const seen: string[] = [];
    await Promise.all([
      main.transaction().execute(async (trx) => {
        await sql`INSERT INTO items (id) VALUES (1)`.execute(trx);
        await new Promise((r) => setTimeout(r, 100));
        seen.push('transaction');
        await sql`INSERT INTO items (id) VALUES (2)`.execute(trx);
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 20));
        const rows = await sql<{ count: number }>`SELECT count(*)::int AS count FROM items`.execute(other);
        seen.push(`other saw ${rows.rows[0]!.count}`);
      })(),
    ]);
    // The other client waited for the whole transaction, never saw half of it.
    expect(seen).toEqual(['transaction', 'other saw 2']);
    const row = await sql<{ at: Date; n: string | number | bigint }>`SELECT at, n FROM items WHERE id = 1`.execute(main);
    expect(row.rows[0]!.at).toBeInstanceOf(Date);
    await other.destroy();
  });

  it('carries the database error code across the thread', async () => {
    const error = await sql`INSERT INTO items (id) VALUES (1)`.execute(main).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505' });
  });

  it('a client that goes away holding the connection gives it back, its transaction rolled back', async () => {
    const port = thread.connectPort();
    const pool = pglitePoolOverPort(port);
    const client = await pool.connect();
    await client.query('BEGIN', []);
    await client.query('INSERT INTO items (id) VALUES (3)', []);
    port.close();
    const rows = await sql<{ count: number }>`SELECT count(*)::int AS count FROM items WHERE id = 3`.execute(main);
    expect(rows.rows[0]!.count).toBe(0);
  });

  it("lends the free connection to the main thread's (interactive) waiters before a run thread's (background) ones", async () => {
    const background = pglitePoolOverPort(thread.connectPort());
    const holder = await background.connect();
    const order: string[] = [];
    const queuedBackground = background.connect().then((client) => {
      order.push('background');
      client.release();
    });
    await new Promise((r) => setTimeout(r, 50));
    const queuedInteractive = thread.pool.connect().then((client) => {
      order.push('interactive');
      client.release();
    });
    await new Promise((r) => setTimeout(r, 50));
    holder.release();
    await Promise.all([queuedBackground, queuedInteractive]);
    expect(order).toEqual(['interactive', 'background']);
    await background.end();
  });
});
