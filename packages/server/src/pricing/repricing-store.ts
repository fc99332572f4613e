import type { RepriceFormula, StoredPair } from './reprice-formula.js';

/**
 * What the re-pricing job (reprice-jobs.ts) needs of a usage store, which each store implements
 * (usage/sql, usage/clickhouse): read every stored record's pricing fields and cost, and write new
 * costs, keeping the store's rollups in step. It spans
 * every owner: re-pricing is an admin's server-wide action, as the prices are server-wide, and
 * no figure of one owner is ever shown to another (the job reports totals per model only).
 */
export interface RepriceRow {
  /** The store's own handle of the record (its row id, or the whole row to rewrite). */
  ref: unknown;
  ownerId: string;
  tsMs: number;
  model: string;
  provider: string | null;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** 1-hour cache writes, where the store keeps them apart. */
  cacheWrite1hTokens?: number;
  outputTokens: number;
  batch: boolean;
  costUsd: number | null;
}

export interface RepriceChange {
  row: RepriceRow;
  costUsd: number | null;
}

/** Records of whole owner-days, re-priced together: the unit of work and of progress. */
export interface RepriceChunk {
  ownerId: string;
  /** UTC days, epoch ms: from inclusive, to exclusive. */
  fromMs: number;
  toMs: number;
  /** Records in it when the job planned it. */
  records: number;
}

/** A chunk's records of one model, under the formula: costs summed in whole picodollars (floored), so sums are exact in any order. */
export interface ChunkModelTotals {
  model: string;
  records: number;
  changed: number;
  oldPicoUsd: bigint;
  newPicoUsd: bigint;
  oldUnpriced: number;
  newUnpriced: number;
}

export interface UsageRepricing {
  /** The distinct (model, provider) pairs stored, which the formula is built for. */
  storedPairs(): Promise<StoredPair[]>;
  /** Every stored record, cut into chunks of whole owner-days of about `targetRecords` each. */
  chunks(targetRecords: number): Promise<RepriceChunk[]>;
  /**
   * One chunk under the formula, set-based (the database computes every new cost): its totals per
   * model, and with `apply` the changed costs written with the rollups of its days, atomically
   * where the store can. The library's pairs are left out (see `scan`).
   */
  repriceChunk(chunk: RepriceChunk, formula: RepriceFormula, apply: boolean): Promise<ChunkModelTotals[]>;
  /**
   * The stored records of these pairs (all records when `only` is absent), page by page, for
   * prices only the library computes: the next page is read once `page` has returned.
   */
  scan(page: (rows: RepriceRow[]) => Promise<void>, only?: readonly StoredPair[]): Promise<void>;
  /** Stores new costs (of records scanned by this job); returns how many records took them. */
  writeCosts(changes: RepriceChange[]): Promise<number>;
  /** Brings what is derived from the costs (rollups) up to date where the store defers it. */
  finish(): Promise<void>;
}
