import type { MessagePort } from 'node:worker_threads';
import { openDatabase } from '../store/database.js';
import type { PgliteThread } from '../store/pglite-thread.js';
import { createClickHouseUsageStore } from './clickhouse/clickhouse-usage-store.js';
import { createSqlUsageStore } from './sql/sql-usage-store.js';
import type { UsageStore } from './usage-store.js';

/**
 * How another thread of the node reaches its usage store, as data a thread can be sent: the
 * embedded engine through a port of its own to the database thread, PostgreSQL and ClickHouse
 * through connections of its own.
 */
export type UsageStoreAccess =
  | { engine: 'pglite'; port: MessagePort }
  | { engine: 'postgres'; url: string; schema: string | undefined; preparedStatements: boolean | undefined }
  | { engine: 'clickhouse'; url: string };

/** The store a node's usage goes to (agent-services.ts decides alike): ClickHouse when configured, else the relational store. */
export function usageStoreAccessOf(node: {
  clickhouseUrl: string | undefined;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  databasePreparedStatements: boolean | undefined;
  /** The embedded engine's database thread; a new port on its background lane per access. */
  pglite: Pick<PgliteThread, 'connectPort'> | undefined;
}): UsageStoreAccess {
  if (node.clickhouseUrl) return { engine: 'clickhouse', url: node.clickhouseUrl };
  if (node.databaseUrl) return { engine: 'postgres', url: node.databaseUrl, schema: node.databaseSchema, preparedStatements: node.databasePreparedStatements };
  if (!node.pglite) throw new Error('a node without a database URL has the embedded database thread');
  return { engine: 'pglite', port: node.pglite.connectPort('background') };
}

/** Objects of the access a thread must be handed over with it (postMessage's transfer list). */
export function usageStoreAccessTransfers(access: UsageStoreAccess): MessagePort[] {
  return access.engine === 'pglite' ? [access.port] : [];
}

/** The writing side of usage stored from another thread: few connections, no read caches. */
const WRITER_POOL_MAX = 2;

/**
 * Opens the usage store from another thread, for writing: the schema is the main thread's to
 * create and migrate (ClickHouse's is ensured again, which is idempotent). Closing releases only
 * what this opened.
 */
export async function openUsageStore(access: UsageStoreAccess): Promise<{ store: UsageStore; close(): Promise<void> }> {
  if (access.engine === 'clickhouse') {
    const store = await createClickHouseUsageStore({ url: access.url });
    return { store, close: () => store.close() };
  }
  const { db, leaseDb } = await openDatabase({
    url: access.engine === 'postgres' ? access.url : undefined,
    // Unused: PostgreSQL has its URL, the embedded engine its port (the main thread holds the folder).
    dataDir: '',
    ...(access.engine === 'postgres'
      ? { schema: access.schema, preparedStatements: access.preparedStatements, pool: { max: WRITER_POOL_MAX } }
      : { pglitePort: access.port }),
  });
  // The lease heartbeat's own pool is for run workers; it has not connected yet.
  await leaseDb?.destroy();
  return { store: createSqlUsageStore(db), close: () => db.destroy() };
}
