import { z } from 'zod';

export const HealthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  engines: z.object({
    database: z.enum(['pglite', 'postgres']),
    bus: z.enum(['memory', 'redis']),
    /** Where usage records are stored and analysed: the SQL database, or ClickHouse. */
    usage: z.enum(['sql', 'clickhouse']),
    llm: z.enum(['offline', 'openai-compatible', 'anthropic']),
  }),
});
export type Health = z.infer<typeof HealthSchema>;

/** What a readiness probe checked: each dependency up or not, and whether the node is draining. */
export const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  draining: z.boolean(),
  checks: z.object({
    database: z.enum(['up', 'down']),
    /** The link to the other nodes (Redis), or `none` when the node runs alone. */
    bus: z.enum(['up', 'down', 'none']),
    /** The shared short-lived store (Redis), or `none` when it lives in the process. */
    ephemeral: z.enum(['up', 'down', 'none']),
  }),
});
export type Readiness = z.infer<typeof ReadinessSchema>;
