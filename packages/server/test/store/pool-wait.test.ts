import os from 'node:os';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/http/error-handler.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { isConnectionError } from '../../src/store/postgres-errors.js';
import { engineSetups } from '../support/engines.js';

const postgres = engineSetups().find((e) => e.name === 'postgres+redis')!;

/**
 * Overload: a statement that cannot get a pooled connection within the pool's bounded wait fails
 * as a connection error, and a request that meets it is refused with 503 SERVICE_UNAVAILABLE and
 * Retry-After instead of hanging (issue 19).
 */
describe.skipIf(postgres.skipReason !== null)('the PostgreSQL pool under overload', () => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await openDatabase({ url: postgres.postgresUrl!, dataDir: os.tmpdir(), pool: { max: 1, waitMs: 200 } }));
  });
  afterAll(async () => db?.destroy());

  it('refuses a statement that waited past the bound, and serves the next once a connection is free', async () => {
    let held = true;
    const holding = sql`select pg_sleep(1.5)`.execute(db).finally(() => (held = false));
    const refused = await sql`select 1`.execute(db).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isConnectionError(refused)).toBe(true);
    // Refused at the bound, while the connection was still taken: not queued until it was free.
    expect(held).toBe(true);
    await holding;
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it('answers a request that met the bound with 503 SERVICE_UNAVAILABLE and Retry-After', async () => {
    const app = Fastify();
    registerErrorHandler(app);
    app.get('/read', async () => (await sql<{ one: number }>`select 1 as one`.execute(db)).rows);
    const holding = sql`select pg_sleep(1.5)`.execute(db);
    try {
      const response = await app.inject({ method: 'GET', url: '/read' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      await holding;
      await app.close();
    }
  });
});

describe.skipIf(postgres.skipReason !== null)('the PostgreSQL pool\'s size', () => {
  it('opens at most the connections asked for, however many statements wait (TALLY_DATABASE_POOL_MAX)', async () => {
    const { db } = await openDatabase({ url: postgres.postgresUrl!, dataDir: os.tmpdir(), pool: { max: 3 } });
    try {
      const backends = await Promise.all(
        Array.from({ length: 9 }, async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db)).rows[0]!.pid),
      );
      expect(new Set(backends).size).toBe(3);
    } finally {
      await db.destroy();
    }
  });
});
