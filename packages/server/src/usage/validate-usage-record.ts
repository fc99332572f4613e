import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';
import { implausibility } from './plausible-usage.js';
import { fastUsageRecord } from './usage-record-fast-path.js';

/**
 * A value checked against Tally's record schema (defaults applied) and against what a real call
 * can be (plausible-usage.ts), or the reason it is not one: the first few issues, each with its
 * field path, which is enough to fix a line. `nowMs` is the server's clock, for times in the future.
 */
export function validateUsageRecord(value: unknown, nowMs: number = Date.now()): { record: UsageRecord } | { error: string } {
  // The fast path answers for the records the mappers write; zod for everything else, and for every error.
  const fast = fastUsageRecord(value);
  const result = fast ? { success: true as const, data: fast } : UsageRecordSchema.safeParse(value);
  if (result.success) {
    const implausible = implausibility(result.data, nowMs);
    return implausible === null ? { record: result.data } : { error: implausible };
  }
  const reasons = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return { error: reasons.join('; ') };
}
