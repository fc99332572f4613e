import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseSql, identifier, string, uuid } from './clickhouse-literals.js';
import { rollupTableStatements } from './clickhouse-rollups.js';

/** How long an erasure waits for its mutations before it reports failure. */
const WAIT_MS = 120_000;
const POLL_MS = 100;

/**
 * Removes every row of one workspace from the usage tables (records, their keys, every rollup), when
 * the account is deleted (auth/account-deletion.ts) and the workspace goes with it. One DELETE
 * mutation per table, then a wait until system.mutations says each is done, so the answer means the rows are gone, not scheduled to go
 * (polled rather than `mutations_sync`, which older servers do not know).
 */
export async function eraseClickHouseWorkspace(client: ClickHouseClient, database: string, workspaceId: string): Promise<void> {
  const tables = ['usage_records', 'usage_record_keys', ...rollupTableStatements(database).map((r) => r.table)];
  for (const table of tables) {
    await client.command({ query: clickHouseSql`ALTER TABLE ${identifier(database)}.${identifier(table)} DELETE WHERE owner_id = ${uuid(workspaceId)}`.text });
  }
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const pending = await client.query({
      query: clickHouseSql`SELECT count() AS n FROM system.mutations WHERE database = ${string(database)} AND NOT is_done`.text,
      format: 'JSONEachRow',
    });
    const [row] = (await pending.json()) as Array<{ n: number | string }>;
    if (Number(row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`ClickHouse did not finish erasing the usage of ${workspaceId} within ${WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
