import { DAY_MS } from './day-range.js';
import type { ChunkModelTotals, RepriceChunk } from '../pricing/repricing-store.js';

/** Owner-days (in owner, day order) cut into chunks of consecutive days of one owner, about `target` records each. */
export function chunksOfDays(days: readonly { ownerId: string; dayMs: number; records: number }[], target: number): RepriceChunk[] {
  const chunks: RepriceChunk[] = [];
  let open: RepriceChunk | null = null;
  for (const { ownerId, dayMs, records } of days) {
    if (open && open.ownerId === ownerId && open.records + records <= target) {
      open.toMs = dayMs + DAY_MS;
      open.records += records;
      continue;
    }
    open = { ownerId, fromMs: dayMs, toMs: dayMs + DAY_MS, records };
    chunks.push(open);
  }
  return chunks;
}

/** A chunk's totals of one model as both stores' SQL returns them (sums as text: exact past 2^53). */
export interface ChunkTotalsRow {
  model: string;
  records: number;
  changed: number;
  old_pico: string;
  new_pico: string;
  old_unpriced: number;
  new_unpriced: number;
}

export function chunkModelTotals(r: ChunkTotalsRow): ChunkModelTotals {
  return {
    model: r.model,
    records: r.records,
    changed: r.changed,
    oldPicoUsd: BigInt(r.old_pico),
    newPicoUsd: BigInt(r.new_pico),
    oldUnpriced: r.old_unpriced,
    newUnpriced: r.new_unpriced,
  };
}
