import { UsageChangeSourceSchema, type UsageChangeSource } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';

/** What `usage:changed` carries: one workspace's usage changed, and by what. */
export interface UsageChangedMessage {
  workspaceId: string;
  source: UsageChangeSource;
  /** When it was announced (ISO 8601). */
  at: string;
}

/**
 * At most one message per workspace per window. An exporter at 50k spans/s sends ~100 requests a
 * second; each stored batch announcing itself would put 100 messages a second on the bus and as
 * many dashboard reads on every open tab. A dashboard needs to hear of a change within a second,
 * not of each change.
 */
export const USAGE_CHANGE_WINDOW_MS = 750;

export interface UsageChangeAnnouncer {
  /** Announces a change now if the workspace announced none in the window, else once at its end. */
  announce(workspaceId: string, change: { source: UsageChangeSource }): void;
  /** Drops the pending trailing announcements and their timers. */
  close(): void;
}

interface Pending {
  timer: NodeJS.Timeout;
  /** A change heard inside the window, announced when it ends (the latest source wins). */
  source: UsageChangeSource | null;
}

/**
 * The coalescing publisher of one bus. Leading edge: the first change of a quiet workspace goes out
 * at once (export-to-visible stays short); changes within the window after it become one trailing
 * message at the window's end, so the last change is always announced after it was stored.
 * Delivery is at most once, as the bus's: a lost message delays a dashboard until the next one.
 */
export function createUsageChangeAnnouncer(bus: Bus, options: { windowMs?: number; now?: () => Date } = {}): UsageChangeAnnouncer {
  const windowMs = options.windowMs ?? USAGE_CHANGE_WINDOW_MS;
  const now = options.now ?? (() => new Date());
  const pending = new Map<string, Pending>();

  const publish = (workspaceId: string, source: UsageChangeSource) => {
    const message: UsageChangedMessage = { workspaceId, source, at: now().toISOString() };
    // A bus that is down loses the message: the change is stored, only its announcement is late.
    void bus.publish(channels.usageChanged, JSON.stringify(message)).catch(() => undefined);
  };

  const openWindow = (workspaceId: string): Pending => {
    const entry: Pending = {
      source: null,
      timer: setTimeout(() => {
        const source = entry.source;
        if (source === null) {
          pending.delete(workspaceId);
          return;
        }
        publish(workspaceId, source);
        // The trailing message opens a window of its own, so the rate bound holds under a steady stream.
        pending.set(workspaceId, openWindow(workspaceId));
      }, windowMs),
    };
    entry.timer.unref();
    return entry;
  };

  return {
    announce(workspaceId, { source }) {
      const entry = pending.get(workspaceId);
      if (entry) {
        entry.source = source;
        return;
      }
      publish(workspaceId, source);
      pending.set(workspaceId, openWindow(workspaceId));
    },
    close() {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
    },
  };
}

/**
 * One announcer per bus, i.e. per node (a test's or a server's own bus gets its own): callers
 * (upload, OTLP, connector sync) then share one window per workspace without threading the
 * announcer through every dependency list. Kept beside the bus object, not in a global keyed by
 * workspace, and gone with the bus.
 */
const announcers = new WeakMap<Bus, UsageChangeAnnouncer>();

/** Tells the workspace's open dashboards, on every node, that its usage changed (coalesced, never throws). */
export function announceUsageChanged(bus: Bus, workspaceId: string, change: { source: UsageChangeSource }): void {
  let announcer = announcers.get(bus);
  if (!announcer) announcers.set(bus, (announcer = createUsageChangeAnnouncer(bus)));
  announcer.announce(workspaceId, change);
}

/** Reads a `usage:changed` message; null when it is not one (a foreign publisher, a newer format). */
export function parseUsageChangedMessage(raw: string): UsageChangedMessage | null {
  try {
    const m = JSON.parse(raw) as Partial<UsageChangedMessage>;
    if (typeof m.workspaceId !== 'string' || typeof m.at !== 'string') return null;
    const source = UsageChangeSourceSchema.safeParse(m.source);
    return source.success ? { workspaceId: m.workspaceId, source: source.data, at: m.at } : null;
  } catch {
    return null;
  }
}
