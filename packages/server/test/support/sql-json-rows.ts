import type { UsageRecord } from '@tally/protocol';
import { unpackStrings } from '../../src/usage/packed-strings.js';
import { USAGE_COLUMNS } from '../../src/usage/usage-columns.js';
import type { UsageRows } from '../../src/usage/usage-row-form.js';
import type { PricedUsageRecord } from '../../src/usage/usage-store.js';

/**
 * Rows in the SQL stores' form (sql-usage-row.ts) read back as priced records, by USAGE_COLUMNS
 * as json_to_recordset reads them: for the test doubles, which take the SQL form and keep records.
 */
export function pricedRecordsOfSqlRows(rows: UsageRows): PricedUsageRecord[] {
  if (rows.form !== 'sql-json') throw new TypeError(`test stores take sql-json rows, got ${rows.form}`);
  return unpackStrings(rows.rows).map((text) => {
    const row = JSON.parse(text) as Record<string, unknown>;
    const record: Record<string, unknown> = {};
    let key = '';
    let costUsd: number | null = null;
    for (const column of USAGE_COLUMNS) {
      const value = row[column.short];
      if (column.field === 'key') key = value as string;
      else if (column.field === 'cost') costUsd = value as number | null;
      else if (value !== null) record[column.field] = value;
    }
    return { key, costUsd, record: record as unknown as UsageRecord };
  });
}
