import { z } from 'zod';
import { ClientIdSchema, PROTOCOL_VERSION } from './envelope.js';
import { RunEventSchema } from './events.js';
import { RunStatusSchema } from './rest/runs.js';
import { WorkspaceRoleSchema } from './rest/workspaces.js';

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

/**
 * Sent to every socket of the user, on any node, when one of their threads gets a run or a run
 * ends: other tabs and devices update their thread list, and watch the thread if it is open. Also
 * sent (`queued` only) to other members' sockets watching the thread when it is shared.
 */
export const ThreadActivityFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('thread_activity'),
  /** The thread's workspace: a client showing another workspace leaves its list alone. */
  workspaceId: z.string().uuid(),
  threadId: z.string().uuid(),
  title: z.string(),
  runId: z.string().uuid(),
  status: RunStatusSchema,
  /** The user's message that started the run (on `queued`). */
  message: z.object({ id: z.string().uuid(), text: z.string() }).optional(),
});
export type ThreadActivityFrame = z.infer<typeof ThreadActivityFrameSchema>;

/**
 * The user's access to a workspace was reduced (removed, left, or given a weaker role; `role` is
 * what they have now, null when they are out): the server ended this socket's subscriptions to
 * the workspace's runs and its watches of the workspace's threads that the user may no longer
 * read, listed here. Their next command there is authorised against the new standing.
 */
export const WorkspaceAccessEndedFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('workspace_access_ended'),
  workspaceId: z.string().uuid(),
  role: WorkspaceRoleSchema.nullable(),
  runIds: z.array(z.string().uuid()),
  threadIds: z.array(z.string().uuid()),
});
export type WorkspaceAccessEndedFrame = z.infer<typeof WorkspaceAccessEndedFrameSchema>;

/**
 * The author of a thread this user read as shared stopped sharing it: the server ended this
 * socket's watch of the thread (`watched`) and its subscriptions to the thread's runs (listed).
 * Sent only to sockets that had one of them; never to the author's own. Their next command on the thread answers THREAD_NOT_FOUND / RUN_NOT_FOUND.
 */
export const ThreadAccessEndedFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('thread_access_ended'),
  workspaceId: z.string().uuid(),
  threadId: z.string().uuid(),
  reason: z.literal('unshared'),
  runIds: z.array(z.string().uuid()),
  watched: z.boolean(),
});
export type ThreadAccessEndedFrame = z.infer<typeof ThreadAccessEndedFrameSchema>;

/** Where usage that just changed came from: a file upload, an OTLP export, a provider connector's sync. */
export const UsageChangeSourceSchema = z.enum(['upload', 'otlp', 'connector']);
export type UsageChangeSource = z.infer<typeof UsageChangeSourceSchema>;

/**
 * The usage of a workspace changed (records stored, or billing buckets synced): an open dashboard
 * or explorer of that workspace reads its figures again. Sent to the sockets of the workspace's
 * members with read access (membership read when the change is announced; a key's socket only for
 * the key's workspace). Coalesced: at most about one a second per workspace, the last one after
 * the change, so a client may refetch on each without flooding the server.
 */
export const UsageChangedFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('usage_changed'),
  workspaceId: z.string().uuid(),
  source: UsageChangeSourceSchema,
  /** When the change was announced (ISO 8601). */
  at: z.string(),
});
export type UsageChangedFrame = z.infer<typeof UsageChangedFrameSchema>;

export const ServerFrameSchema = z.union([AckFrameSchema, ErrorFrameSchema, ThreadActivityFrameSchema, WorkspaceAccessEndedFrameSchema, ThreadAccessEndedFrameSchema, UsageChangedFrameSchema, RunEventSchema]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
