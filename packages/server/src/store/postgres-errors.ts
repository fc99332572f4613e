/** PostgreSQL's unique_violation (23505), as raised by both pg and PGlite. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/**
 * PostgreSQL's invalid_schema_name (3F000) naming a schema other than `own`: Kysely's migrator reads
 * every schema's tables (its introspection calls has_schema_privilege by name), and a schema another
 * client drops meanwhile fails that read. Nothing of `own` is wrong; the same read succeeds again.
 */
export function isOtherSchemaDropped(error: unknown, own: string | undefined): boolean {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== '3F000') return false;
  const named = /schema "([^"]+)" does not exist/.exec(error instanceof Error ? error.message : '')?.[1];
  return named !== undefined && named !== own;
}

/** SQLSTATEs of a server that is going away or not there yet: connection exceptions (class 08), shutdown, startup. */
const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether a statement failed for want of the database (a restart, failover or network blip) rather
 * than because of what it asked: then the same statement may succeed once the database is back.
 * pg reports a lost connection as a plain Error with a message of its own.
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_STATES.has(code) || SOCKET_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection timeout|not queryable/i.test(message);
}
