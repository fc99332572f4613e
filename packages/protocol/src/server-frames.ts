import { z } from 'zod';
import { ClientIdSchema, PROTOCOL_VERSION } from './envelope.js';
import { RunEventSchema } from './events.js';
import { RunStatusSchema } from './rest/runs.js';

/** The answer to a command that succeeded; `data` depends on the command. */
export const AckFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('ack'),
  id: ClientIdSchema,
  data: z.record(z.string(), z.unknown()),
});
export type AckFrame = z.infer<typeof AckFrameSchema>;

/** A typed error; `id` is the command's, or null when the frame had none readable. */
export const ErrorFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('error'),
  id: ClientIdSchema.nullable(),
  code: z.string(),
  message: z.string(),
});
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

export const SendMessageAckDataSchema = z.object({
  runId: z.string().uuid(),
  threadId: z.string().uuid(),
  messageId: z.string().uuid(),
});
export const SubscribeAckDataSchema = z.object({
  runId: z.string().uuid(),
  threadId: z.string().uuid(),
  status: RunStatusSchema,
});
/** `status` is what the run is now: `running` means a stop was requested and is on its way. */
export const StopRunAckDataSchema = z.object({ runId: z.string().uuid(), status: RunStatusSchema });
export const UnsubscribeAckDataSchema = z.object({ runId: z.string().uuid() });
export const PingAckDataSchema = z.object({ pong: z.literal(true), ts: z.string() });

export const ServerFrameSchema = z.union([AckFrameSchema, ErrorFrameSchema, RunEventSchema]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
