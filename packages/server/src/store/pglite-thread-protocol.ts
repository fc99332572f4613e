import type { MessagePort } from 'node:worker_threads';

/**
 * The messages between the PGlite database thread and its clients (the main thread's pool and each
 * run thread's), one MessagePort per client. A client borrows the single connection with `acquire`
 * (granted in arrival order across every port, so a transaction stays whole), runs queries under
 * that lease and gives it back with `release`.
 */
export type PgliteRequest =
  | { id: number; op: 'acquire' }
  | { id: number; op: 'query'; lease: number; sql: string; params: unknown[] }
  | { id: number; op: 'release'; lease: number };

export type PgliteResponse =
  | { id: number; ok: true; lease: number }
  | { id: number; ok: true; rows: Record<string, unknown>[]; affectedRows: number | undefined }
  | { id: number; ok: false; error: SerializedError };

/** A database error's message and its fields (code, constraint, detail...), which callers test. */
export interface SerializedError {
  message: string;
  fields: Record<string, string | number | boolean>;
}

/** What the main thread tells the database thread on its control port. */
export type PgliteControl = { type: 'connect'; port: MessagePort; lane: PgliteLane } | { type: 'close' };

/**
 * Whose turn comes first when the connection is free: the main thread's port is `interactive`
 * (acks, sign-ins, HTTP: short statements someone waits for), a run thread's is `background` (the
 * agents' aggregate reads and event writes), so a message's ack does not queue behind analyses;
 * `bulk` (the OTLP ingest's large inserts, which an exporter retries and nobody watches) goes
 * last, and only once the others have left the connection alone for a moment (pglite-lending.ts).
 */
export type PgliteLane = 'interactive' | 'background' | 'bulk';

/** What the database thread tells the main thread. */
export type PgliteReport = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'closed' };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { message: error.message, fields };
}

/** An Error carrying the database's fields again (e.g. `code` 23505 for a unique violation). */
export function deserializeError(error: SerializedError): Error {
  const result = new Error(error.message);
  result.name = 'DatabaseError';
  return Object.assign(result, error.fields);
}
