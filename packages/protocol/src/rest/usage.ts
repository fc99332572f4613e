import { z } from 'zod';

/** Largest NDJSON upload accepted in one POST /v1/usage; bigger files go through the CLI in parts. */
export const MAX_USAGE_UPLOAD_BYTES = 64 * 1024 * 1024;

export const IngestLineErrorSchema = z.object({ line: z.number().int(), reason: z.string() });

export const IngestSummarySchema = z.object({
  /** Units read: lines of JSON lines (blank ones excluded), documents of pretty-printed JSON, rows of CSV. */
  lines: z.number().int(),
  /** New records stored. */
  inserted: z.number().int(),
  /** Records already stored before (same id or same content): not added twice. */
  duplicates: z.number().int(),
  /** Lines refused; the first of them are listed in `errors`. */
  rejected: z.number().int(),
  errors: z.array(IngestLineErrorSchema),
  /** Models the price catalog does not know: stored, but not priced. */
  unpricedModels: z.array(z.string()),
});
export type IngestSummary = z.infer<typeof IngestSummarySchema>;
