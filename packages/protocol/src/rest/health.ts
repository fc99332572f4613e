import { z } from 'zod';

export const HealthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  engines: z.object({
    database: z.enum(['pglite', 'postgres']),
    bus: z.enum(['memory', 'redis']),
    llm: z.enum(['offline', 'openai-compatible']),
  }),
});
export type Health = z.infer<typeof HealthSchema>;
