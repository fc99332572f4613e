import { z } from 'zod';
import { INT32_MAX } from '../safe-text.js';
import { RunEventSchema } from '../events.js';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunSchema = z.object({
  id: z.string().uuid(),
  threadId: z.string().uuid(),
  /** The workspace whose usage the run analyses (its thread's). */
  workspaceId: z.string().uuid(),
  status: RunStatusSchema,
  /** The seq of the last event in the run's log. */
  lastSeq: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Run = z.infer<typeof RunSchema>;

export const RunEventsQuerySchema = z.object({
  afterSeq: z.coerce.number().int().min(0).max(INT32_MAX).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export const RunEventListSchema = z.object({ events: z.array(RunEventSchema) });
