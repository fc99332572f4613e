import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';

/**
 * A value checked against Tally's record schema (defaults applied), or the reason it is not one:
 * the first few issues, each with its field path, which is enough to fix a line.
 */
export function validateUsageRecord(value: unknown): { record: UsageRecord } | { error: string } {
  const result = UsageRecordSchema.safeParse(value);
  if (result.success) return { record: result.data };
  const reasons = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return { error: reasons.join('; ') };
}
