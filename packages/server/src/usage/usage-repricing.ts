/**
 * A usage store's side of re-pricing (pricing/reprice-jobs.ts): read every stored record's
 * pricing fields and cost, and write new costs, keeping the store's rollups in step. It spans
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

export interface UsageRepricing {
  /** Records stored now, for the progress of a job. */
  countRecords(): Promise<number>;
  /** Every stored record, page by page: the next page is read once `page` has returned. */
  scan(page: (rows: RepriceRow[]) => Promise<void>): Promise<void>;
  /** Stores new costs (of records scanned by this job); returns how many records took them. */
  writeCosts(changes: RepriceChange[]): Promise<number>;
  /** Brings what is derived from the costs (rollups) up to date where the store defers it. */
  finish(): Promise<void>;
}
