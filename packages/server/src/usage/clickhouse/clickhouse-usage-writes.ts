import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { clickHouseSql, identifier, list, string, uuid, type ClickHouseSql } from './clickhouse-literals.js';
import { workspaceDays, rollupRecomputations } from './clickhouse-rollups.js';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { selectRows } from './clickhouse-select.js';
import { unpackStrings } from '../packed-strings.js';
import type { UsageRows } from '../usage-row-form.js';
import { selectUsageRows, sliceUsageRows, toUsageRows, usageRowCount } from '../usage-rows.js';
import type { PricedUsageRecord, UsageIngestSession } from '../usage-store.js';

/** Rows per INSERT: large inserts are what MergeTree wants, bounded so one body stays a few MB. */
const INSERT_CHUNK = 20_000;
/** What ends each JSONEachRow line's segment. */
const LINE_END = Buffer.from('\n');
/**
 * Records per insert call the ingester should send: two key checks and one INSERT each, few
 * enough requests that their fixed cost is small, while an upload holds at most two such batches
 * (one being stored, one being read) of about 1.5 KB a record.
 */
export const INGEST_BATCH = 10_000;
/**
 * Records an upload stores before its rollups are brought up to date mid-upload: the lag of
 * whole-day reads behind a long upload, and the most a crash can leave for a retry to repair.
 */
const ROLLUP_EVERY_RECORDS = 500_000;
/**
 * Keys per existence check, and a cap on its SQL size: one query for a whole ingest batch,
 * and few for large ones (each check costs a pass over the granules its keys fall in). The
 * query's max_query_size is raised to fit; the server default is 256 KiB.
 */
const KEY_CHUNK = 10_000;
const KEY_CHUNK_BYTES = 1024 * 1024;
const KEY_QUERY_MAX_BYTES = 2 * KEY_CHUNK_BYTES;

/**
 * The write side of the ClickHouse usage store: records and their keys, and the rollups of the
 * days written. Each record is stored once per owner and key (see storeRecords).
 */
export function createClickHouseUsageWrites(client: ClickHouseClient, database: string): { openSession(workspaceId: string): UsageIngestSession } {
  const db = identifier(database);
  const records = clickHouseSql`${db}.usage_records`;
  const keysTable = clickHouseSql`${db}.usage_record_keys`;

  /** The keys of `keys` this owner has already stored. */
  async function existingKeys(workspaceId: string, keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of literalChunks(keys.map(string))) {
      // The keys as one array literal, not an IN list: ClickHouse parses a list element by
      // element into its syntax tree, an array literal in one pass (measured 2-3x faster per
      // check of 5,000 keys); the set it builds still narrows the read through the primary index.
      const rows = await selectRows(
        client,
        clickHouseSql`SELECT DISTINCT record_key FROM ${keysTable}
          WHERE owner_id = ${uuid(workspaceId)} AND record_key IN (SELECT arrayJoin([${list(chunk)}]))`,
        z.object({ record_key: z.string() }),
        { max_query_size: String(KEY_QUERY_MAX_BYTES) },
      );
      for (const row of rows) found.add(row.record_key);
    }
    return found;
  }

  /**
   * JSONEachRow lines into a table, as they are: the rows are serialised already (usage-rows.ts),
   * and a pack's segments go into the body one after another, each ended by a newline, never
   * joined into one string first.
   */
  async function insertJsonEachRow(table: ClickHouseSql, segments: readonly string[]): Promise<void> {
    const { stream } = await client.exec({
      query: `INSERT INTO ${table.text} FORMAT JSONEachRow`,
      values: Readable.from(
        segments.flatMap((segment) => [Buffer.from(segment), LINE_END]),
        { objectMode: false },
      ),
    });
    // The answer is empty; read to its end so the socket goes back to the pool.
    stream.resume();
    await finished(stream);
  }

  /**
   * Stores a batch's new rows and their keys; returns how many were new. Keys are each once in a
   * batch (usage-rows.ts keeps the first record of a key, as ON CONFLICT DO NOTHING would).
   */
  async function storeRows(workspaceId: string, batch: UsageRows): Promise<number> {
    if (batch.form !== 'clickhouse-json-each-row') throw new TypeError(`the ClickHouse store takes clickhouse-json-each-row rows, got ${batch.form}`);
    const keys = unpackStrings(batch.keys);
    const stored = await existingKeys(workspaceId, keys);
    const fresh = stored.size === 0 ? batch : selectUsageRows(batch, (i) => !stored.has(keys[i]!));
    const count = usageRowCount(fresh);
    // The rows name their owner (clickhouse-schema.ts): prepared for this workspace, as the keys are.
    const owner = JSON.stringify(workspaceId);
    // Records first, keys second: a failure between the two leaves a record whose retry is
    // collapsed by FINAL (same sorting key), never a key without its record.
    for (let start = 0; start < count; start += INSERT_CHUNK) {
      const chunk = sliceUsageRows(fresh, start, start + INSERT_CHUNK);
      await insertJsonEachRow(records, chunk.rows.segments);
      const keyLines = unpackStrings(chunk.keys).map((key) => `{"owner_id":${owner},"record_key":${JSON.stringify(key)}}`);
      await insertJsonEachRow(keysTable, [keyLines.join('\n')]);
    }
    return count;
  }

  /** Recomputes the owner's rollup rows of these UTC days (epoch day numbers) from the records. */
  async function rollUp(workspaceId: string, days: Iterable<number>): Promise<void> {
    const list = [...days];
    if (list.length === 0) return;
    await Promise.all(rollupRecomputations(database, workspaceDays(workspaceId, list)).map((statement) => client.command({ query: statement.text })));
  }

  /**
   * An upload's batches: records and keys are stored batch by batch, and the rollups of every
   * day the upload touched are recomputed once, by `finish` (and every ROLLUP_EVERY_RECORDS
   * records, which bounds the work a crash leaves undone). Each recomputation reads its days
   * through FINAL, so doing it per batch re-read the same days once per batch: at 10,000 records
   * a batch, most of a ClickHouse ingest. While an upload runs, whole-day reads (the rollups)
   * lag its records by at most that much; ranged reads, from the records, do not.
   * Days of duplicates count too: a retry of an upload that failed before its rollups (all
   * duplicates then) repairs them.
   */
  function openSession(workspaceId: string): UsageIngestSession {
    uuid(workspaceId); // fails early on a malformed owner, before anything is written
    let days = new Set<number>();
    let pending = 0;
    // Days are noted before storing: a batch that fails halfway is rolled up by `finish` too.
    // They are forgotten only once rolled up.
    const rollUpDue = async () => {
      await rollUp(workspaceId, days);
      days = new Set();
      pending = 0;
    };
    const insertRows = async (batch: UsageRows) => {
      for (const day of batch.days) days.add(day);
      const rows = usageRowCount(batch);
      pending += rows;
      const inserted = await storeRows(workspaceId, batch);
      if (pending >= ROLLUP_EVERY_RECORDS) await rollUpDue();
      return { inserted, duplicates: rows - inserted };
    };
    return {
      insertRows,
      // Records go through the same rows: one serialisation (clickhouse-schema.ts), one key check.
      async insert(batch: readonly PricedUsageRecord[]) {
        const rows = toUsageRows('clickhouse-json-each-row', workspaceId, batch);
        const result = await insertRows(rows);
        // A key repeated within the batch is a duplicate too.
        return { inserted: result.inserted, duplicates: batch.length - result.inserted };
      },
      finish: rollUpDue,
    };
  }

  return { openSession };
}

/** Encoded keys cut into existence checks small enough for one query each. */
function literalChunks(literals: ClickHouseSql[]): ClickHouseSql[][] {
  const chunks: ClickHouseSql[][] = [];
  let chunk: ClickHouseSql[] = [];
  let bytes = 0;
  for (const literal of literals) {
    const size = Buffer.byteLength(literal.text) + 2;
    if (chunk.length > 0 && (chunk.length >= KEY_CHUNK || bytes + size > KEY_CHUNK_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(literal);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
