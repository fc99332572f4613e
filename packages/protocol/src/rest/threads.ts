import { z } from 'zod';
import { safeText } from '../safe-text.js';

/** Where a search (GET /v1/workspaces/:workspaceId/threads?q=) found its text in a thread's messages. */
export const ThreadSearchMatchSchema = z.object({
  messageId: z.string().uuid(),
  role: z.enum(['user', 'assistant']),
  /** Up to ~200 characters of the message around the first match, with `…` where it was cut. */
  snippet: z.string(),
});
export type ThreadSearchMatch = z.infer<typeof ThreadSearchMatchSchema>;

export const ThreadSchema = z.object({
  id: z.string().uuid(),
  /** The workspace the thread belongs to: its runs analyse that workspace's usage only. */
  workspaceId: z.string().uuid(),
  title: z.string(),
  /** Shared with the workspace by its author: every member reads it (read-only); else only its author sees it. */
  shared: z.boolean(),
  /** The caller wrote it (and may rename, delete, share it and ask in it). */
  mine: z.boolean(),
  /** Another member's shared thread: its author's display name, or email when they set none; null for the caller's own. */
  author: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** In a search's answer only: the thread's first message containing the text (absent when only the title matched). */
  match: ThreadSearchMatchSchema.optional(),
});
export type Thread = z.infer<typeof ThreadSchema>;
export const ThreadListSchema = z.object({ threads: z.array(ThreadSchema) });

/** Longest thread title (after trimming). */
export const MAX_THREAD_TITLE_LENGTH = 200;
/** Longest search text for GET /v1/workspaces/:workspaceId/threads?q=. */
export const MAX_THREAD_SEARCH_LENGTH = 200;

/** PATCH /v1/workspaces/:workspaceId/threads/:threadId. */
export const RenameThreadRequestSchema = z.object({ title: safeText().trim().min(1).max(MAX_THREAD_TITLE_LENGTH) });
export type RenameThreadRequest = z.input<typeof RenameThreadRequestSchema>;

/** GET /v1/workspaces/:workspaceId/threads query: `q` finds threads whose title or any message contains it, case-insensitively. */
export const ThreadListQuerySchema = z.object({ q: safeText().max(MAX_THREAD_SEARCH_LENGTH).optional() });
export type ThreadListQuery = z.infer<typeof ThreadListQuerySchema>;

/** PUT /v1/workspaces/:workspaceId/threads/:threadId/sharing: the author shares the thread with the workspace, or stops. */
export const SetThreadSharingRequestSchema = z.object({ shared: z.boolean() });
export type SetThreadSharingRequest = z.infer<typeof SetThreadSharingRequestSchema>;

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
