import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * Presents an embedded PGlite database as the pool Kysely's Postgres dialect expects, so the
 * embedded and the production engine share one dialect and one code path. PGlite is a single
 * connection: a client is lent to one user at a time, which keeps transactions whole.
 */
export function createPglitePool(db: PGlite): PostgresPool {
  let tail: Promise<void> = Promise.resolve();

  return {
    async connect(): Promise<PostgresPoolClient> {
      let release!: () => void;
      const previous = tail;
      tail = new Promise<void>((resolve) => (release = resolve));
      await previous;
      return {
        async query(sql: string, parameters: ReadonlyArray<unknown>) {
          const result = await db.query<Record<string, unknown>>(sql, parameters as unknown[]);
          return {
            command: commandOf(sql),
            rowCount: result.affectedRows ?? result.rows.length,
            rows: result.rows,
          };
        },
        release,
      } as unknown as PostgresPoolClient;
    },
    async end() {
      await tail;
      await db.close();
    },
  };
}

function commandOf(sql: string): 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE' | 'SELECT' {
  const word = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)?.[1]?.toUpperCase();
  return word === 'INSERT' || word === 'UPDATE' || word === 'DELETE' || word === 'MERGE' ? word : 'SELECT';
}
