import crypto from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { UsageRecordSchema } from '@tally/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { rollupTableStatements } from '../../src/usage/clickhouse/clickhouse-rollups.js';
import { toClickHouseRow, usageSchemaStatements } from '../../src/usage/clickhouse/clickhouse-schema.js';
import { createClickHouseUsageStore } from '../../src/usage/clickhouse/clickhouse-usage-store.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import { uniqueName } from '../support/services.js';

/**
 * A ClickHouse store made by a Tally from before 1-hour cache writes (no `cache_write_1h_tokens`
 * in any table) holding records, opened by this one: the columns are added by ALTER (ClickHouse
 * 18.16 has no ADD COLUMN IF NOT EXISTS), old records read 0 1-hour writes (they count as
 * 5-minute ones), and new records keep theirs through the records and the rollups alike.
 */
const clickhouseUrl = inject('clickhouseUrl');

/** The statements as they were before the column: the same tables without its lines. */
function withoutColumn(text: string): string {
  return text.replace(/,\s*`?cache_write_1h_tokens`? UInt64 DEFAULT 0/g, '');
}

describe.runIf(clickhouseUrl)('ClickHouse store upgraded to 1-hour cache writes', () => {
  const database = uniqueName('tally_test_1h');
  let admin: ClickHouseClient;
  const prices = createGenaiPriceCatalog();
  const owner = crypto.randomUUID();

  beforeAll(async () => {
    admin = createClient({ url: clickhouseUrl! });
    for (const statement of usageSchemaStatements(database)) await admin.command({ query: withoutColumn(statement.text) });
    for (const { create } of rollupTableStatements(database)) await admin.command({ query: withoutColumn(create.text) });
    const columns = await admin.query({ query: `SELECT count() FROM system.columns WHERE database = '${database}' AND name = 'cache_write_1h_tokens'`, format: 'TabSeparated' });
    expect((await columns.text()).trim()).toBe('0');
  });

  afterAll(async () => {
    await admin?.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
    await admin?.close();
  });

  it('adds the column to every table, keeps old rows as 5-minute writes and stores new 1-hour writes', async () => {
    // A record stored by the old Tally: its columns only.
    const old = priceUsageRecord(prices, UsageRecordSchema.parse({ id: 'old', ts: '2026-09-01T10:00:00Z', model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 10, outputTokens: 5, cacheWriteTokens: 1000 }));
    const { cache_write_1h_tokens: _dropped, ...oldRow } = toClickHouseRow(owner, old);
    await admin.insert({ table: `${database}.usage_records`, values: [oldRow], format: 'JSONEachRow' });

    // Two nodes opening the old store at once: both add the columns, neither fails.
    const [store, other] = await Promise.all([createClickHouseUsageStore({ url: clickhouseUrl!, database }), createClickHouseUsageStore({ url: clickhouseUrl!, database })]);
    try {
      const columns = await admin.query({
        query: `SELECT table FROM system.columns WHERE database = '${database}' AND name = 'cache_write_1h_tokens' ORDER BY table`,
        format: 'TabSeparated',
      });
      expect((await columns.text()).trim().split('\n')).toEqual(['usage_daily', 'usage_prefix_buckets', 'usage_records']);

      const fresh = priceUsageRecord(
        prices,
        UsageRecordSchema.parse({ id: 'new', ts: '2026-09-01T11:00:00Z', model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 10, outputTokens: 5, cacheWriteTokens: 100, cacheWrite1hTokens: 2000, promptPrefixHash: 'p', prefixTokens: 2100 }),
      );
      const again = { ...fresh, key: 'new-2', record: { ...fresh.record, id: 'new-2', ts: '2026-09-01T11:01:00Z' } };
      await store.insert(owner, [fresh, again]);
      // Whole days from the rollups, an odd bound from the records: both see the split.
      for (const range of [undefined, { from: '2026-09-01T00:00:00.001Z' }]) {
        const [row, ...rest] = await store.aggregate(owner, range);
        expect(rest).toEqual([]);
        expect(row).toMatchObject({ requests: 3, cacheWriteTokens: 1200, cacheWrite1hTokens: 4000 });
        const [prefix] = await store.prefixStats(owner, range);
        expect(prefix).toMatchObject({ requests: 2, cacheWriteTokens: 200, cacheWrite1hTokens: 4000 });
      }
      // Sonnet 4.5 list prices (USD/MTok): input 3, 5-minute write 3.75, 1-hour write 6, output 15.
      const [row] = await store.aggregate(owner);
      const list = (3 * 30 + 3.75 * 1200 + 6 * 4000 + 15 * 15) / 1e6;
      expect(row!.costUsd).toBeCloseTo(list, 12);
    } finally {
      await store.close();
      await other.close();
    }
  }, 60_000);
});
