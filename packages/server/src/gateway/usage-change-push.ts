import { PROTOCOL_VERSION, roleAllows, type UsageChangedFrame, type WorkspaceRole } from '@tally/protocol';
import type { Logger } from 'pino';
import { channels, type Bus } from '../bus/bus.js';
import { parseUsageChangedMessage } from '../usage/usage-change-announcer.js';

/** A socket as the push sees it: whose it is, and how to hand it a frame. */
export interface UsageChangeListener {
  readonly user: { id: string };
  /** Sends the frame unless the socket may not hear of this workspace (a key's socket of another one). */
  onUsageChanged(workspaceId: string, raw: string): void;
}

export interface UsageChangePushDeps {
  bus: Bus;
  /** The workspace's members and their roles now (one read per announcement, not per socket). */
  membersOf(workspaceId: string): Promise<ReadonlyArray<{ userId: string; role: WorkspaceRole }>>;
  /** This node's live sockets. */
  sockets(): Iterable<UsageChangeListener>;
  logger: Logger;
}

/**
 * Hears `usage:changed` (any node's announcer) and sends `usage_changed` to this node's sockets of
 * the workspace's members who may read it. Membership is read when the message arrives, so a member
 * removed a moment ago hears nothing; a node with no socket reads nothing. Returns the unsubscribe.
 */
export async function pushUsageChanges(deps: UsageChangePushDeps): Promise<() => Promise<void>> {
  return deps.bus.subscribe(channels.usageChanged, (raw) => {
    const message = parseUsageChangedMessage(raw);
    if (!message) return;
    const sockets = [...deps.sockets()];
    if (sockets.length === 0) return;
    void deps
      .membersOf(message.workspaceId)
      .then((members) => {
        const readers = new Set(members.filter((m) => roleAllows(m.role, 'workspace.read')).map((m) => m.userId));
        if (readers.size === 0) return;
        const frame: UsageChangedFrame = { v: PROTOCOL_VERSION, type: 'usage_changed', workspaceId: message.workspaceId, source: message.source, at: message.at };
        const encoded = JSON.stringify(frame);
        for (const socket of sockets) if (readers.has(socket.user.id)) socket.onUsageChanged(message.workspaceId, encoded);
      })
      .catch((error: unknown) => deps.logger.warn({ err: error, workspaceId: message.workspaceId }, 'reading members for a usage change failed'));
  });
}
