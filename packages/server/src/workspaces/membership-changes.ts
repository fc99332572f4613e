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

/** Every node hears every reduction of workspace access here. */
export const WORKSPACE_MEMBERSHIP_CHANNEL = 'workspace-membership';

export async function publishMembershipChange(bus: Bus, change: Omit<MembershipChange, 'type'>): Promise<void> {
  const raw = JSON.stringify({ type: 'workspace_access_reduced', ...change } satisfies MembershipChange);
  await Promise.all([bus.publish(channels.userControl(change.userId), raw), bus.publish(WORKSPACE_MEMBERSHIP_CHANNEL, raw)]);
}

const MembershipChangeSchema = z.object({
  type: z.literal('workspace_access_reduced'),
  workspaceId: z.string(),
  userId: z.string(),
  role: WorkspaceRoleSchema.nullable(),
});

/** Reads a bus message; null for anything that is not a membership change (the control channel carries others too). */
export function parseMembershipChange(raw: string): MembershipChange | null {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = MembershipChangeSchema.safeParse(message);
  return parsed.success ? parsed.data : null;
}

/** A node's listener of membership changes: parts of the node (the gateway) register what to do on one. */
export interface MembershipWatch {
  /** Calls `listener` for each change any node announces; the returned function removes it. */
  onChange(listener: (change: MembershipChange) => void): () => void;
  close(): Promise<void>;
}

/** Subscribes this node to every membership change, once, for all its listeners. */
export async function watchMembershipChanges(deps: { bus: Bus; logger: Logger }): Promise<MembershipWatch> {
  const listeners = new Set<(change: MembershipChange) => void>();
  const unsubscribe = await deps.bus.subscribe(WORKSPACE_MEMBERSHIP_CHANNEL, (raw) => {
    const change = parseMembershipChange(raw);
    if (!change) return;
    deps.logger.debug({ workspaceId: change.workspaceId, userId: change.userId, role: change.role }, 'workspace access reduced');
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        deps.logger.error({ err: error }, 'a workspace membership listener failed');
      }
    }
  });
  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: unsubscribe,
  };
}
