import type { Logger } from 'pino';
import { z } from 'zod';
import { WorkspaceRoleSchema, type WorkspaceRole } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';

/**
 * A member lost some or all of their access to a workspace: removed, left, or given a weaker role
 * (`role` is what they have now, null when they are out). Sent on the member's control channel
 * (their sockets on every node follow it, as for credential revocations) and on
 * WORKSPACE_MEMBERSHIP_CHANNEL, which every node hears (watchMembershipChanges), so that their
 * subscriptions to the workspace's runs and threads end at once wherever they are.
 */
export interface MembershipChange {
  type: 'workspace_access_reduced';
  workspaceId: string;
  userId: string;
  role: WorkspaceRole | null;
}

/**
 * The author of a thread stopped sharing it: every other member's watch of it and subscriptions
 * to its runs end, on every node (published on WORKSPACE_MEMBERSHIP_CHANNEL too).
 */
export interface ThreadUnshared {
  type: 'thread_unshared';
  workspaceId: string;
  threadId: string;
  authorId: string;
}

/** Every node hears every reduction of workspace access here (members' and threads' unsharing). */
export const WORKSPACE_MEMBERSHIP_CHANNEL = 'workspace-membership';

export async function publishMembershipChange(bus: Bus, change: Omit<MembershipChange, 'type'>): Promise<void> {
  const raw = JSON.stringify({ type: 'workspace_access_reduced', ...change } satisfies MembershipChange);
  await Promise.all([bus.publish(channels.userControl(change.userId), raw), bus.publish(WORKSPACE_MEMBERSHIP_CHANNEL, raw)]);
}

export async function publishThreadUnshared(bus: Pick<Bus, 'publish'>, unshared: Omit<ThreadUnshared, 'type'>): Promise<void> {
  await bus.publish(WORKSPACE_MEMBERSHIP_CHANNEL, JSON.stringify({ type: 'thread_unshared', ...unshared } satisfies ThreadUnshared));
}

const ThreadUnsharedSchema = z.object({ type: z.literal('thread_unshared'), workspaceId: z.string(), threadId: z.string(), authorId: z.string() });

const MembershipChangeSchema = z.object({
  type: z.literal('workspace_access_reduced'),
  workspaceId: z.string(),
  userId: z.string(),
  role: WorkspaceRoleSchema.nullable(),
});

/** Reads a bus message; null for anything that is not a membership change (the control channel carries others too). */
export function parseMembershipChange(raw: string): MembershipChange | null {
  const parsed = MembershipChangeSchema.safeParse(parseJson(raw));
  return parsed.success ? parsed.data : null;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/** A node's listener of membership changes: parts of the node (the gateway) register what to do on one. */
export interface MembershipWatch {
  /** Calls `listener` for each change any node announces; the returned function removes it. */
  onChange(listener: (change: MembershipChange) => void): () => void;
  /** Calls `listener` for each thread any node's author stopped sharing; the returned function removes it. */
  onThreadUnshared(listener: (unshared: ThreadUnshared) => void): () => void;
  close(): Promise<void>;
}

/** Subscribes this node to every membership change, once, for all its listeners. */
export async function watchMembershipChanges(deps: { bus: Bus; logger: Logger }): Promise<MembershipWatch> {
  const listeners = new Set<(change: MembershipChange) => void>();
  const unsharedListeners = new Set<(unshared: ThreadUnshared) => void>();
  function tell<T>(set: Set<(value: T) => void>, value: T): void {
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (error) {
        deps.logger.error({ err: error }, 'a workspace membership listener failed');
      }
    }
  }
  const unsubscribe = await deps.bus.subscribe(WORKSPACE_MEMBERSHIP_CHANNEL, (raw) => {
    const message = parseJson(raw);
    const unshared = ThreadUnsharedSchema.safeParse(message);
    if (unshared.success) {
      deps.logger.debug({ workspaceId: unshared.data.workspaceId, threadId: unshared.data.threadId }, 'thread unshared');
      tell(unsharedListeners, unshared.data);
      return;
    }
    const change = MembershipChangeSchema.safeParse(message);
    if (!change.success) return;
    deps.logger.debug({ workspaceId: change.data.workspaceId, userId: change.data.userId, role: change.data.role }, 'workspace access reduced');
    tell(listeners, change.data);
  });
  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onThreadUnshared(listener) {
      unsharedListeners.add(listener);
      return () => unsharedListeners.delete(listener);
    },
    close: unsubscribe,
  };
}
