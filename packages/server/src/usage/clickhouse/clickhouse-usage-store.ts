import type { ClickHouseClient } from '@clickhouse/client';
import { connectClickHouse, type ClickHouseConnectionOptions } from './clickhouse-connection.js';
import { createClickHouseUsageReads } from './clickhouse-usage-reads.js';
import { createClickHouseUsageRepricing } from './clickhouse-usage-reprice.js';
import { createClickHouseUsageExplorer } from './clickhouse-usage-explorer.js';
import type { UsageExplorer } from '../usage-explorer.js';
import { createClickHouseUsageWrites, INGEST_BATCH } from './clickhouse-usage-writes.js';
import { eraseClickHouseWorkspace } from './clickhouse-workspace-erasure.js';
import { ensureUsageSchema } from './clickhouse-schema.js';
import type { UsageRepricing } from '../../pricing/repricing-store.js';
import type { UsageStore } from '../usage-store.js';

export type ClickHouseUsageStoreOptions = ClickHouseConnectionOptions;

/** The UsageStore over ClickHouse; it holds an HTTP client, released by `close`. */
export interface ClickHouseUsageStore extends UsageStore {
  readonly database: string;
  /** Re-pricing of the stored records (clickhouse-usage-reprice.ts). */
  readonly repricing: UsageRepricing;
  /** The per-call reads of the usage page (clickhouse-usage-explorer.ts). */
  readonly explorer: UsageExplorer;
  close(): Promise<void>;
}

/**
 * Creates the ClickHouse usage store: connects, creates the database and tables if missing, and
 * answers every query exactly as the SQL store does (same grouping, order, casts and percentiles).
 *
 * Each record is counted once even before ClickHouse merges duplicates away: every read goes
 * through `FINAL` on the ReplacingMergeTree, whose sorting key holds the record's key and time,
 * so a copy left by a retried or concurrent insert is collapsed at read time (see clickhouse-schema.ts).
 */
export async function createClickHouseUsageStore(options: ClickHouseUsageStoreOptions): Promise<ClickHouseUsageStore> {
  const { client, database } = connectClickHouse(options);
  try {
    await ensureUsageSchema(client, database);
  } catch (error) {
    await client.close();
    throw error;
  }
  return createStore(client, database);
}

function createStore(client: ClickHouseClient, database: string): ClickHouseUsageStore {
  const { openSession } = createClickHouseUsageWrites(client, database);
  return {
    database,
    repricing: createClickHouseUsageRepricing(client, database),
    explorer: createClickHouseUsageExplorer(client, database),
    insertBatchSize: INGEST_BATCH,
    openIngest: openSession,

    async insert(workspaceId, batch) {
      const session = openSession(workspaceId);
      const result = await session.insert(batch);
      await session.finish();
      return result;
    },

    rowForm: 'clickhouse-json-each-row',

    async insertRows(workspaceId, rows) {
      const session = openSession(workspaceId);
      const result = await session.insertRows(rows);
      await session.finish();
      return result;
    },

    ...createClickHouseUsageReads(client, database),
    eraseWorkspace: (workspaceId) => eraseClickHouseWorkspace(client, database, workspaceId),

    async close() {
      await client.close();
    },
  };
}
