import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import { withJoinedText } from './joined-text-param.js';
import { createStatementNamer, DEFAULT_MAX_PER_CONNECTION, isStaleResultType, type PreparedStatementOptions } from './statement-names.js';

/** What a statement gives back to the database thread's client (pglite-thread-protocol.ts). */
export interface PgliteStatementResult {
  rows: Record<string, unknown>[];
  affectedRows: number | undefined;
}

export interface PglitePreparedStatements {
  query(text: string, params: unknown[]): Promise<PgliteStatementResult>;
}

const NO_FS_SYNC = { syncToFs: false } as const;

/**
 * Named prepared statements on PGlite, for the texts statement-names.ts names. PGlite's own
 * `query` sends every statement unnamed, so its one connection parses, analyses and plans it each
 * time: for a small read by key, more than half of what the statement cost (docs/DECISIONS.md, session
 * 17). A named one is parsed once and then runs on PostgreSQL's cached plan, through PGlite's public
 * protocol calls and its own type parsers and serialisers, so rows, counts and errors come back as
 * `query` gives them.
 *
 * A statement whose result columns changed since it was named (a migration added one) is refused by
 * PostgreSQL; outside a transaction it runs again unnamed and keeps running so, inside one the
 * transaction has failed and its caller decides, as on PostgreSQL (prepared-statements.ts).
 */
export function createPglitePreparedStatements(db: PGlite, options: PreparedStatementOptions = {}): PglitePreparedStatements {
  const maxPrepared = options.maxPerConnection ?? DEFAULT_MAX_PER_CONNECTION;
  const { nameOf } = createStatementNamer(options);
  /** Names prepared on the connection, with their parameters' type oids as PostgreSQL inferred them. */
  const prepared = new Map<string, number[]>();
  const spoiled = new Set<string>();

  async function runUnnamed(text: string, params: unknown[]): Promise<PgliteStatementResult> {
    const result = await db.query<Record<string, unknown>>(text, params);
    return { rows: result.rows, affectedRows: result.affectedRows };
  }

  async function runNamed(name: string, text: string, params: unknown[]): Promise<PgliteStatementResult> {
    const { serialize } = protocol;
    const messages: Parameters<typeof parse.parseResults>[0] = [];
    try {
      let types = prepared.get(name);
      if (!types) {
        await db.execProtocol(serialize.parse({ name, text, types: [] }), NO_FS_SYNC);
        const described = await db.execProtocol(serialize.describe({ type: 'S', name }), NO_FS_SYNC);
        types = parse.parseDescribeStatementResults(described.messages);
        prepared.set(name, types);
      }
      // Each value as PGlite's query serialises it: by the type PostgreSQL inferred for its parameter.
      const values = params.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = db.serializers[types[i]!];
        return serializer ? serializer(value) : String(value);
      });
      messages.push(...(await db.execProtocol(serialize.bind({ statement: name, values }), NO_FS_SYNC)).messages);
      messages.push(...(await db.execProtocol(serialize.describe({ type: 'P' }), NO_FS_SYNC)).messages);
      messages.push(...(await db.execProtocol(serialize.execute({}), NO_FS_SYNC)).messages);
    } catch (error) {
      // The statement's text and values on its error, as PGlite's query puts them.
      if (typeof error === 'object' && error !== null) Object.assign(error, { query: text, params });
      throw error;
    } finally {
      // Sync ends the extended-protocol exchange whatever failed, as PGlite's query does.
      await db.execProtocol(serialize.sync(), NO_FS_SYNC);
    }
    // As PGlite's query does after each statement outside its own transaction() (the thread never uses that).
    await db.syncToFs();
    const [result] = parse.parseResults(messages, db.parsers);
    return { rows: (result?.rows ?? []) as Record<string, unknown>[], affectedRows: result?.affectedRows };
  }

  return {
    async query(text, given) {
      // A parameter sent in parts (joined-text-param.ts) is joined here, on the database's thread.
      const params = given.map(withJoinedText);
      const name = params.length > 0 ? nameOf(text) : undefined;
      if (name === undefined || spoiled.has(name) || (!prepared.has(name) && prepared.size >= maxPrepared)) return runUnnamed(text, params);
      try {
        return await db.runExclusive(() => runNamed(name, text, params));
      } catch (error) {
        if (!isStaleResultType(error)) throw error;
        spoiled.add(name);
        if (db.isInTransaction()) throw error;
        return runUnnamed(text, params);
      }
    },
  };
}
