import { LRUCache } from 'lru-cache';
import type { AnalysisReads } from './usage-store.js';

/** A workspace's analysis reads and the version of its rollups they were read at (migration 0018). */
export interface VersionedAnalysisReads {
  version: string;
  reads: AnalysisReads;
}

/**
 * One node's memory of each workspace's last whole-history analysis reads. A run's analysis read
 * was the heaviest statement it sent (2.2 of the ~8 ms of PostgreSQL's time a run took, issue 19),
 * and every question of a workspace whose data had not changed read the same rows again. Kept
 * reads are used only at the version the database gives for the workspace's rollups at that moment
 * (in the read's own statement, or in the run's overview just before it), and every write of usage
 * on any node changes it: the cache saves work, never freshness. Bounded by rows, the least
 * recently used workspace going first.
 */
export interface AnalysisReadCache {
  get(workspaceId: string): VersionedAnalysisReads | undefined;
  /**
   * Keeps the reads of a version and returns them frozen, kept or not (an entry bigger than the
   * whole cache is not): they are shared by every run of the workspace, and one that changed a
   * row would change another's figures, so changing one throws instead.
   */
  keep(workspaceId: string, entry: VersionedAnalysisReads): AnalysisReads;
}

export function createAnalysisReadCache(options: { maxRows: number }): AnalysisReadCache {
  const entries = new LRUCache<string, VersionedAnalysisReads>({
    maxSize: options.maxRows,
    // An empty workspace's entry still costs its key: at least 1.
    sizeCalculation: ({ reads }) => 1 + reads.rows.length + reads.prefixStats.length + reads.outputStats.length,
  });
  return {
    get: (workspaceId) => entries.get(workspaceId),
    keep(workspaceId, { version, reads }) {
      const frozen = frozenReads(reads);
      entries.set(workspaceId, { version, reads: frozen });
      return frozen;
    },
  };
}

function frozenReads(reads: AnalysisReads): AnalysisReads {
  const frozenList = <T extends object>(list: T[]) => Object.freeze(list.map((row) => Object.freeze(row))) as T[];
  return Object.freeze({ rows: frozenList(reads.rows), prefixStats: frozenList(reads.prefixStats), outputStats: frozenList(reads.outputStats) });
}
