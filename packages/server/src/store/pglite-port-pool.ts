import type { MessagePort } from 'node:worker_threads';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { deserializeError, type PgliteRequest, type PgliteResponse } from './pglite-thread-protocol.js';

/** A request without its id (the pool numbers them). */
type Ask = PgliteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The pool Kysely's Postgres dialect expects, over a MessagePort to the PGlite database thread:
 * the embedded and the production engine share one dialect and one code path, and this thread
 * only posts queries and receives rows. A client is the connection's lease, lent to one user at a
 * time (by the database thread, across every port), which keeps transactions whole.
 */
export function createPglitePortPool(port: MessagePort, close: () => Promise<void>): PostgresPool {
  let nextId = 1;
  let failure: Error | undefined;
  const pending = new Map<number, { resolve: (r: PgliteResponse) => void; reject: (e: Error) => void }>();
  // The port keeps the process alive only while an answer is awaited.
  port.unref();
  port.on('message', (response: PgliteResponse) => {
    const waiter = pending.get(response.id);
    if (!waiter) return;
    pending.delete(response.id);
    if (pending.size === 0) port.unref();
    if (response.ok) waiter.resolve(response);
    else waiter.reject(deserializeError(response.error));
  });
  port.on('close', () => fail(new Error('the database thread is gone')));

  function fail(error: Error): void {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  }

  function ask(request: Ask): Promise<PgliteResponse> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<PgliteResponse>((resolve, reject) => {
      if (pending.size === 0) port.ref();
      pending.set(id, { resolve, reject });
      port.postMessage({ ...request, id });
    });
  }

  return {
    async connect(): Promise<PostgresPoolClient> {
      const granted = await ask({ op: 'acquire' });
      if (!('lease' in granted)) throw new Error('the database thread answered an acquire without a lease');
      const lease = granted.lease;
      let released = false;
      const client = {
        async query(sql: string, parameters: ReadonlyArray<unknown>) {
          const result = await ask({ op: 'query', lease, sql, params: [...parameters] });
          if (!('rows' in result)) throw new Error('the database thread answered a query without rows');
          return { command: commandOf(sql), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
        },
        release() {
          if (released || failure) return;
          released = true;
          port.postMessage({ id: 0, op: 'release', lease } satisfies PgliteRequest);
        },
      };
      return client as unknown as PostgresPoolClient;
    },
    async end() {
      await close();
    },
  };
}

function commandOf(sql: string): 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE' | 'SELECT' {
  const word = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)?.[1]?.toUpperCase();
  return word === 'INSERT' || word === 'UPDATE' || word === 'DELETE' || word === 'MERGE' ? word : 'SELECT';
}
