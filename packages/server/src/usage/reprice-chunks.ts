import { DAY_MS } from './day-range.js';
import type { RepriceChunk } from './usage-repricing.js';

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
