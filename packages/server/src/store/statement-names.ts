import crypto from 'node:crypto';

/**
 * Which statement texts run as named prepared statements, shared by both engines' connections
 * (prepared-statements.ts for PostgreSQL, pglite-prepared-statements.ts for PGlite). A statement
 * sent unnamed is parsed and planned again every time; one sent `seenBeforeNaming` times gets a
 * name from its text's hash, so each connection parses it once and, after PostgreSQL's first
 * executions, runs it on a cached plan.
 *
 * Bounded, because texts that differ by an IN list's length are new statements: at most
 * `maxPerConnection` names per connection and `maxNamed` in all (past them, texts run unnamed),
 * and the counts of texts not yet named are forgotten when there are too many of them.
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

export const DEFAULT_MAX_PER_CONNECTION = 256;

export interface StatementNamer {
  /** The name a text runs under, once it has been seen often enough; none before, and none past the bounds. */
  nameOf(text: string): string | undefined;
}

interface Counted {
  seen: number;
  name: string | undefined;
}

export function createStatementNamer(options: PreparedStatementOptions = {}): StatementNamer {
  const seenBeforeNaming = options.seenBeforeNaming ?? 3;
  const maxCounted = options.maxCounted ?? 4096;
  const maxNamed = options.maxNamed ?? 1024;
  const texts = new Map<string, Counted>();
  let unnamedCounted = 0;
  let named = 0;

  return {
    nameOf(text) {
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
    },
  };
}

/** PostgreSQL's refusal to run a prepared statement whose result columns changed since it was prepared (a column added by a migration). */
export function isStaleResultType(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));
}
