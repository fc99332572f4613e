import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { createPgliteLending } from './pglite-lending.js';
import { createPglitePreparedStatements } from './pglite-prepared-statements.js';
import { serializeError, type PgliteControl, type PgliteLane, type PgliteReport, type PgliteRequest, type PgliteResponse } from './pglite-thread-protocol.js';

/** What the main thread hands the database thread (see pglite-thread.ts). */
export interface PgliteThreadData {
  /** The PGlite folder inside the data folder. */
  dir: string;
}

/**
 * The database thread of the embedded engine: PGlite (a WebAssembly Postgres, busy on the thread
 * that calls it) lives here, so its query work never takes the main thread's event loop from the
 * sockets and HTTP. Clients reach it over MessagePorts (pglite-thread-protocol.ts); PGlite is one
 * connection, lent to one client at a time in the order asked, across every port.
 */
async function main(control: MessagePort, data: PgliteThreadData): Promise<void> {
  const report = (message: PgliteReport) => control.postMessage(message);
  let db: PGlite;
  try {
    db = await PGlite.create(data.dir);
  } catch (error) {
    report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const statements = createPglitePreparedStatements(db);
  const lending = createPgliteLending();
  const ports = new Set<MessagePort>();

  function serve(port: MessagePort, lane: PgliteLane): void {
    ports.add(port);
    const reply = (message: PgliteResponse) => port.postMessage(message);
    port.on('message', (request: PgliteRequest) => {
      switch (request.op) {
        case 'acquire':
          lending.acquire(port, lane, (lease) => reply({ id: request.id, ok: true, lease }));
          return;
        case 'release':
          lending.release(request.lease);
          return;
        case 'query':
          if (!lending.holds(request.lease)) {
            reply({ id: request.id, ok: false, error: { message: 'query outside the lease of the database connection', fields: {} } });
            return;
          }
          statements.query(request.sql, request.params).then(
            (result) => reply({ id: request.id, ok: true, rows: result.rows, affectedRows: result.affectedRows }),
            (error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }),
          );
      }
    });
    // A client thread that ends (a run thread that died) gives its lease back; a transaction it
    // left open is rolled back first so the next client starts clean.
    port.on('close', () => {
      ports.delete(port);
      if (lending.forget(port)) {
        db.query('ROLLBACK').catch(() => undefined).finally(() => lending.releaseHeld());
      }
    });
  }

  control.on('message', (message: PgliteControl) => {
    if (message.type === 'connect') serve(message.port, message.lane);
    else if (message.type === 'close') {
      // After every query already asked for: the close takes its turn like a client.
      lending.acquire(undefined, 'background', () => {
        for (const port of ports) port.close();
        db.close().then(
          () => report({ type: 'closed' }),
          () => report({ type: 'closed' }),
        );
      });
    }
  });
  report({ type: 'ready' });
}

if (parentPort) void main(parentPort, workerData as PgliteThreadData);
