import crypto from 'node:crypto';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * Named prepared statements for the statements a node sends again and again. Kysely sends each
 * statement unnamed, so PostgreSQL parses and plans it every time: on the event-delivery load,
 * parse and plan were more than half of the server's time per run (docs/DECISIONS.md, issue 19),
 * on the same two cores as the node. A statement sent `seenBeforeNaming` times is given a name
 * from its text's hash; each connection then parses it once and, after PostgreSQL's first
 * executions, runs it on a cached plan.
 *
 * Bounded, because texts that differ by an IN list's length are new statements: at most
 * `maxPerConnection` names per connection and `maxNamed` in all (past them, texts run unnamed),
 * and the counts of texts not yet named are forgotten when there are too many of them.
 *
 * Off for PgBouncer in transaction mode before 1.21 (TALLY_DATABASE_PREPARED_STATEMENTS=false),
 * whose server connections change under a client and do not hold its statements.
 */
export interface PreparedStatementOptions {
  /** Times a text is sent unnamed before it gets a name (default 3): one-off texts never do. */
  seenBeforeNaming?: number;
  /** Most named statements one connection prepares (default 256). */
  maxPerConnection?: number;
  /** Most texts counted while not yet named (default 4096); past it the counts start over. */
  maxCounted?: number;
  /** Most texts named in all (default 1024); past it new texts stay unnamed. */
  maxNamed?: number;
}

interface Counted {
  seen: number;
  name: string | undefined;
}

/**
 * The pool as Kysely's PostgresDialect takes it, its statements named as above. Statements
 * without parameters (BEGIN, COMMIT, a migration's several statements) keep the simple protocol.
 */
export function poolWithPreparedStatements(pool: pg.Pool, options: PreparedStatementOptions = {}): PostgresPool {
  const seenBeforeNaming = options.seenBeforeNaming ?? 3;
  const maxPerConnection = options.maxPerConnection ?? 256;
  const maxCounted = options.maxCounted ?? 4096;
  const maxNamed = options.maxNamed ?? 1024;
  const texts = new Map<string, Counted>();
  let unnamedCounted = 0;
  let named = 0;
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  /** The name a text runs under, once it has been seen often enough; none before. */
  function nameOf(text: string): string | undefined {
    let counted = texts.get(text);
    if (!counted) {
      if (unnamedCounted >= maxCounted) {
        // Mostly texts of one kind whose IN lists vary: start over, keeping the named ones.
        for (const [key, value] of texts) if (value.name === undefined) texts.delete(key);
        unnamedCounted = 0;
      }
      texts.set(text, (counted = { seen: 0, name: undefined }));
      unnamedCounted++;
    }
    if (counted.name !== undefined) return counted.name;
    if (++counted.seen < seenBeforeNaming || named >= maxNamed) return undefined;
    unnamedCounted--;
    named++;
    counted.name = `tally_${crypto.createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    return counted.name;
  }

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

/** PostgreSQL's refusal to run a prepared statement whose result columns changed since it was prepared. */
function isStaleResultType(error: unknown): boolean {
  return (error as { code?: unknown }).code === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));
}
