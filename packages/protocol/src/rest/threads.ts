import { z } from 'zod';

export const ThreadSchema = z.object({
  id: z.string().uuid(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Thread = z.infer<typeof ThreadSchema>;
export const ThreadListSchema = z.object({ threads: z.array(ThreadSchema) });

export const MessageSchema = z.object({
  id: z.string().uuid(),
  threadId: z.string().uuid(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  /** The run the message started (user) or ended (assistant). */
  runId: z.string().uuid().nullable(),
  createdAt: z.string(),
});
export type Message = z.infer<typeof MessageSchema>;
export const MessageListSchema = z.object({ messages: z.array(MessageSchema) });
