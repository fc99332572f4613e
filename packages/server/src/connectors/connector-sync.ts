import type { Logger } from 'pino';
import { AppError, isAppError } from '../app-error.js';
import type { Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { announceUsageChanged } from '../usage/usage-change-announcer.js';
import type { AdminKeyCipher } from './admin-key-cipher.js';
import { replaceWindowBuckets } from './billing-bucket-store.js';
import { finishSync, renewLease, type ConnectionRow } from './connection-store.js';
import type { ProviderClients } from './provider-client.js';
import type { RetryPolicy } from './provider-http.js';
import { syncWindow } from './sync-window.js';

/** After a failed sync (other than a refused key), the next try: soon, not an hour later. */
export const FAILURE_RETRY_MS = 5 * 60_000;

export interface ConnectorSyncDeps {
  db: Db;
  bus: Bus;
  logger: Logger;
  nodeId: string;
  clients: ProviderClients;
  /** Null when the server has no connector key (PostgreSQL without TALLY_CONNECTOR_KEY). */
  cipher: AdminKeyCipher | null;
  leaseMs: number;
  syncIntervalMs: number;
  /** After a failure other than a refused key, the next try comes this soon (or at the interval if sooner). */
  failureRetryMs: number;
  retry: RetryPolicy;
  now?: () => Date;
  /** Told how each sync ended (the node's connector metrics). */
  onSynced?(sync: ConnectorSyncOutcome): void;
}

/** How one sync of a connection ended, for the node's metrics: no workspace or connection ids. */
export interface ConnectorSyncOutcome {
  provider: ConnectionRow['provider'];
  outcome: 'ok' | 'failed' | 'interrupted';
  seconds: number;
  /** Buckets the sync stored (0 unless ok). */
  buckets: number;
}

/** Why a sync stopped without an outcome: the node shuts down, or another node took the lease. */
export class SyncInterrupted extends Error {
  constructor(readonly why: 'shutdown' | 'lease-lost') {
    super(`sync interrupted (${why})`);
  }
}

/**
 * Syncs one connection this node holds the lease of (connection-store.ts claimDueConnection):
 * fetches its window from the provider, stores the buckets as the provider's whole account of
 * those days (replaceWindowBuckets: a bucket fetched again replaces the stored one, one the
 * provider no longer reports goes), records the outcome and frees the lease; the log names the
 * provider API that answered (`sourceApi`: Anthropic's Analytics API or its legacy reports). The lease is renewed while it runs (a
 * paginated backfill with 429 waits can outlast one lease); if a renewal finds it gone the sync
 * stops before storing anything more. A failure is recorded as the connection's last error and
 * never thrown: the scheduler goes on with the next connection.
 */
export async function syncConnection(deps: ConnectorSyncDeps, row: ConnectionRow, stop: AbortSignal): Promise<'ok' | 'failed' | 'interrupted'> {
  const began = performance.now();
  const { outcome, buckets } = await runSync(deps, row, stop);
  deps.onSynced?.({ provider: row.provider, outcome, seconds: (performance.now() - began) / 1000, buckets });
  return outcome;
}

async function runSync(deps: ConnectorSyncDeps, row: ConnectionRow, stop: AbortSignal): Promise<Pick<ConnectorSyncOutcome, 'outcome' | 'buckets'>> {
  const { db, nodeId, leaseMs, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const startedAt = new Date(row.last_sync_started_at ?? now());
  const lost = new AbortController();
  const signal = AbortSignal.any([stop, lost.signal]);
  const renewal = setInterval(() => {
    renewLease(db, row.id, nodeId, leaseMs).then(
      (held) => held || lost.abort(new SyncInterrupted('lease-lost')),
      (error: unknown) => logger.warn({ err: error, connectionId: row.id }, 'connector lease renewal failed; the sync stops if the lease runs out'),
    );
  }, Math.max(50, Math.floor(leaseMs / 3)));
  renewal.unref();
  try {
    if (!deps.cipher) throw new AppError('CONNECTOR_ENCRYPTION_UNAVAILABLE');
    const adminKey = deps.cipher.decrypt(row.admin_key_ciphertext, row.id);
    const planned = syncWindow(now(), row.synced_through === null ? null : new Date(row.synced_through), row.backfill_days);
    const { buckets, sourceApi } = await deps.clients[row.provider].fetchBuckets({ adminKey, window: planned.window, signal, retry: deps.retry });
    signal.throwIfAborted();
    // Still ours right before writing: a node that lost its lease mid-fetch writes nothing.
    if (!(await renewLease(db, row.id, nodeId, leaseMs))) throw new SyncInterrupted('lease-lost');
    const stored = await replaceWindowBuckets(db, row.workspace_id, row.provider, planned.window, buckets);
    await finishSync(db, row.id, nodeId, startedAt, { ok: true, syncedThrough: planned.syncedThrough }, deps.syncIntervalMs);
    if (stored > 0) announceUsageChanged(deps.bus, row.workspace_id, { source: 'connector' });
    logger.info({ connectionId: row.id, provider: row.provider, sourceApi, buckets: stored, from: planned.window.from.toISOString() }, 'connector synced');
    return { outcome: 'ok', buckets: stored };
  } catch (error) {
    const interrupted = signal.aborted ? (signal.reason instanceof SyncInterrupted ? signal.reason : new SyncInterrupted('shutdown')) : error instanceof SyncInterrupted ? error : null;
    if (interrupted) {
      // Shutdown: the lease is freed and the connection due at once, so another node takes it now.
      if (interrupted.why === 'shutdown') await finishSync(db, row.id, nodeId, startedAt, { ok: false, error: row.last_error ?? '', retryInMs: 0, keepError: true }, deps.syncIntervalMs).catch(() => undefined);
      logger.info({ connectionId: row.id, why: interrupted.why }, 'connector sync interrupted');
      return { outcome: 'interrupted', buckets: 0 };
    }
    const code = isAppError(error) ? error.code : 'INTERNAL';
    const message = isAppError(error) ? error.message : 'unexpected failure (see the server log)';
    if (!isAppError(error)) logger.error({ err: error, connectionId: row.id }, 'connector sync failed unexpectedly');
    else logger.warn({ connectionId: row.id, code, message }, 'connector sync failed');
    const retryInMs = code === 'CONNECTOR_KEY_REJECTED' || code === 'CONNECTOR_KEY_UNREADABLE' ? deps.syncIntervalMs : deps.failureRetryMs;
    await finishSync(db, row.id, nodeId, startedAt, { ok: false, error: `${code}: ${message}`, retryInMs }, deps.syncIntervalMs);
    return { outcome: 'failed', buckets: 0 };
  } finally {
    clearInterval(renewal);
  }
}
