import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { createRecordReads } from './sql-usage-raw-reads.js';
import { insertChunk, insertJsonRows, SQL_INSERT_CHUNK } from './sql-usage-insert.js';
import { dayRange } from '../day-range.js';
import { aggregateFromRollups, analysisReadsFromRollups, outputStatsFromRollups, overviewFromRollups, prefixStatsFromRollups } from './sql-usage-rollup-reads.js';
import { usageVersion } from './sql-usage-version.js';
import type { AnalysisReadCache } from '../analysis-read-cache.js';
import type { AnalysisReads, TimeRange, UsageStore } from '../usage-store.js';
import { sliceUsageRows, usageRowCount } from '../usage-rows.js';

export interface SqlUsageStoreOptions {
  /**
   * Offer `analysisReads`: the whole history's three analysis reads in one statement. For
   * PostgreSQL, where under load every round trip waits for a pooled connection. Not for the
   * embedded PGlite, whose one connection is lent to a stop or a sign-in between statements: one
   * long statement would hold them back for all three reads.
   */
  analysisInOneStatement?: boolean;
  /**
   * This node's memory of whole-history analysis reads, used while the workspace's rollups are
   * still at the version they were read at (migration 0018). Absent: every read reads.
   */
  analysisReadCache?: AnalysisReadCache;
}

/**
 * The UsageStore over PGlite or PostgreSQL, through one Kysely code path; every query is
 * owner-scoped. Inserts keep three rollups (migration 0008) in step with the records, and reads
 * over whole UTC days (no range, or midnight bounds: every range the agents ask for) come from
 * them: the cost report reads a few thousand summed rows instead of every call. Output stats come
 * from their rollup for the whole history only (it has no time). Any other read goes to the
 * records themselves; both give the same answer.
 */
export function createSqlUsageStore(db: Kysely<Database>, options: SqlUsageStoreOptions = {}): UsageStore {
  const records = createRecordReads(db);
  const store: UsageStore = {
    insertBatchSize: SQL_INSERT_CHUNK,

    async insert(workspaceId, batch) {
      let inserted = 0;
      for (let start = 0; start < batch.length; start += SQL_INSERT_CHUNK) {
        inserted += await insertChunk(db, workspaceId, batch.slice(start, start + SQL_INSERT_CHUNK));
      }
      return { inserted, duplicates: batch.length - inserted };
    },

    rowForm: 'sql-json',

    async insertRows(workspaceId, prepared) {
      if (prepared.form !== 'sql-json') throw new TypeError(`the SQL store takes sql-json rows, got ${prepared.form}`);
      const count = usageRowCount(prepared);
      let inserted = 0;
      for (let start = 0; start < count; start += SQL_INSERT_CHUNK) {
        inserted += await insertJsonRows(db, workspaceId, sliceUsageRows(prepared, start, start + SQL_INSERT_CHUNK).rows);
      }
      return { inserted, duplicates: count - inserted };
    },

    async overview(workspaceId, range) {
      const days = dayRange(range);
      return days ? (await overviewFromRollups(db, workspaceId, days)).overview : records.overview(workspaceId, range);
    },

    async aggregate(workspaceId, range) {
      const days = dayRange(range);
      return days ? aggregateFromRollups(db, workspaceId, days) : records.aggregate(workspaceId, range);
    },

    async prefixStats(workspaceId, range) {
      const days = dayRange(range);
      return days ? prefixStatsFromRollups(db, workspaceId, days) : records.prefixStats(workspaceId, range);
    },

    async outputStats(workspaceId, range) {
      const whole = range?.from === undefined && range?.to === undefined;
      return whole ? outputStatsFromRollups(db, workspaceId) : records.outputStats(workspaceId, range);
    },
  };
  const { analysisInOneStatement, analysisReadCache: cache } = options;
  if (analysisInOneStatement || cache) {
    const oneByOne = async (workspaceId: string, range?: TimeRange): Promise<AnalysisReads> => ({
      rows: await store.aggregate(workspaceId, range),
      prefixStats: await store.prefixStats(workspaceId, range),
      outputStats: await store.outputStats(workspaceId, range),
    });
    const kept = (workspaceId: string, version: string | null, reads: AnalysisReads) =>
      version !== null && cache ? cache.keep(workspaceId, { version, reads }) : reads;
    store.analysisReads = async (workspaceId, range, seenVersion) => {
      // The whole history (the common question) is all rollups, and is what is kept. A range reads
      // the output sizes from the records, so it takes the three reads.
      const whole = range?.from === undefined && range?.to === undefined;
      if (!whole) return oneByOne(workspaceId, range);
      const known = cache?.get(workspaceId);
      // The caller's overview saw this version a moment ago: what was kept at it needs no statement.
      if (known && seenVersion != null && known.version === seenVersion) return known.reads;
      if (analysisInOneStatement) {
        const read = await analysisReadsFromRollups(db, workspaceId, known?.version ?? null);
        return read.changed ? kept(workspaceId, read.version, read.reads) : known!.reads;
      }
      // A statement per read (the embedded store's one connection is lent between statements).
      // The version is read first: the reads that follow are at least as new as it, so what is kept
      // under it is never older than the rollups at that version.
      const version = await usageVersion(db, workspaceId);
      if (known && version === known.version) return known.reads;
      return kept(workspaceId, version, await oneByOne(workspaceId));
    };
  }
  if (cache) store.versionedOverview = (workspaceId) => overviewFromRollups(db, workspaceId, {}, true);
  return store;
}
