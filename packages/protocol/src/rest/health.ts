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
