import { channels, type Bus } from '../bus/bus.js';
import { claimDueConnection } from './connection-store.js';
import { syncConnection, type ConnectorSyncDeps } from './connector-sync.js';

export interface ConnectorScheduler {
  /** Looks for due connections now (a "sync now" on this node, or the bus nudge from another). */
  nudge(): void;
  /** Aborts the sync in flight (its lease freed, due again at once) and waits for it to end. */
  stop(): Promise<void>;
}

/**
 * The hourly sync of every connection, on every node: each tick (and each nudge) a node claims due
 * connections one at a time by lease (connection-store.ts) and syncs them, so across N nodes each
 * connection is synced by one node at a time, and a node that dies mid-sync leaves a lease that
 * runs out for another node to take. One sync at a time per node: the work is waiting on the
 * providers, and a provider's rate limit is per organization anyway.
 */
export async function startConnectorScheduler(deps: ConnectorSyncDeps & { tickMs: number }): Promise<ConnectorScheduler> {
  const stopping = new AbortController();
  let draining: Promise<void> | null = null;
  let again = false;

  const drain = async () => {
    do {
      again = false;
      while (!stopping.signal.aborted) {
        let row;
        try {
          row = await claimDueConnection(deps.db, deps.nodeId, deps.leaseMs);
        } catch (error) {
          deps.logger.warn({ err: error }, 'connector claim failed; tried again at the next tick');
          return;
        }
        if (!row) break;
        await syncConnection(deps, row, stopping.signal);
      }
    } while (again && !stopping.signal.aborted);
  };

  const nudge = () => {
    if (stopping.signal.aborted) return;
    if (draining) {
      // A nudge while draining: look again once the current pass ends (it may have missed the row).
      again = true;
      return;
    }
    draining = drain().finally(() => {
      draining = null;
    });
  };

  const timer = setInterval(nudge, deps.tickMs);
  timer.unref();
  // Another node's "sync now": whoever is free takes it, without waiting for its tick.
  const unsubscribe = await deps.bus.subscribe(channels.connectorSyncRequested, nudge);
  nudge();

  return {
    nudge,
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      clearInterval(timer);
      await unsubscribe().catch(() => undefined);
      await draining;
    },
  };
}
