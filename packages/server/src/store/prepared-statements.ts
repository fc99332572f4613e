import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { createStatementNamer, DEFAULT_MAX_PER_CONNECTION, isStaleResultType, type PreparedStatementOptions } from './statement-names.js';

export type { PreparedStatementOptions } from './statement-names.js';

/**
 * Named prepared statements on PostgreSQL for the statements a node sends again and again
 * (statement-names.ts says which and when). Kysely sends each statement unnamed, so PostgreSQL
 * parses and plans it every time: on the event-delivery load, parse and plan were more than half
 * of the server's time per run (docs/DECISIONS.md, issue 19), on the same two cores as the node.
 *
 * Off for PgBouncer in transaction mode before 1.21 (TALLY_DATABASE_PREPARED_STATEMENTS=false),
 * whose server connections change under a client and do not hold its statements.
 *
 * The pool as Kysely's PostgresDialect takes it. Statements without parameters (BEGIN, COMMIT, a
 * migration's several statements) keep the simple protocol.
 */
export function poolWithPreparedStatements(pool: pg.Pool, options: PreparedStatementOptions = {}): PostgresPool {
  const maxPerConnection = options.maxPerConnection ?? DEFAULT_MAX_PER_CONNECTION;
  const { nameOf } = createStatementNamer(options);
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  function wrap(client: pg.PoolClient): PostgresPoolClient {
    // Names prepared on this connection, and those it may no longer use (their plan's result type
    // changed under them, e.g. a column added by another node's migration).
    const prepared = new Set<string>();
    const spoiled = new Set<string>();
    const usable = (name: string | undefined): name is string => name !== undefined && !spoiled.has(name) && (prepared.has(name) || prepared.size < maxPerConnection);

    async function run<R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
      const name = values.length > 0 ? nameOf(text) : undefined;
      if (!usable(name)) return (await client.query(text, values)) as unknown as PostgresQueryResult<R>;
      prepared.add(name);
      try {
        return (await client.query({ name, text, values })) as unknown as PostgresQueryResult<R>;
      } catch (error) {
        if (!isStaleResultType(error)) throw error;
        spoiled.add(name);
        // Outside a transaction nothing was lost: the statement runs again unnamed. Inside one the
        // transaction has failed and its caller decides.
        if (client.getTransactionStatus() !== 'I') throw error;
        return (await client.query(text, values)) as unknown as PostgresQueryResult<R>;
      }
    }

    return {
      query: ((textOrCursor: unknown, values?: readonly unknown[]) =>
        typeof textOrCursor === 'string' ? run(textOrCursor, [...(values ?? [])]) : client.query(textOrCursor as never)) as PostgresPoolClient['query'],
      release: () => client.release(),
    };
  }

  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) clients.set(client, (wrapped = wrap(client)));
      return wrapped;
    },
    end: () => pool.end(),
  };
}
