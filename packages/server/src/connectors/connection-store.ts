import { sql, type Selectable } from 'kysely';
import type { Connector } from '@tally/protocol';
import { leaseExpiry } from '../runs/run-leases.js';
import type { Db } from '../store/database.js';
import type { ProviderConnectionsTable } from '../store/schema.js';
import type { BillingProvider } from './billing-bucket.js';

export type ConnectionRow = Selectable<ProviderConnectionsTable>;

/** A connection as the API shows it: never the key, its hint only. */
export function toConnector(row: ConnectionRow, now: Date = new Date()): Connector {
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    provider: row.provider,
    keyHint: row.key_hint,
    backfillDays: row.backfill_days,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastSyncStartedAt: iso(row.last_sync_started_at),
    lastSyncFinishedAt: iso(row.last_sync_finished_at),
    lastSuccessAt: iso(row.last_success_at),
    lastError: row.last_error,
    lastErrorAt: iso(row.last_error_at),
    syncedThrough: iso(row.synced_through),
    nextSyncAt: new Date(row.next_sync_at).toISOString(),
    syncing: row.lease_owner !== null && row.lease_until !== null && new Date(row.lease_until) > now,
    syncRequested: row.sync_requested_at !== null,
  };
}

export async function listConnections(db: Db, workspaceId: string): Promise<ConnectionRow[]> {
  return db.selectFrom('provider_connections').selectAll().where('workspace_id', '=', workspaceId).orderBy('provider').execute();
}

export async function findConnection(db: Db, workspaceId: string, provider: BillingProvider): Promise<ConnectionRow | undefined> {
  return db.selectFrom('provider_connections').selectAll().where('workspace_id', '=', workspaceId).where('provider', '=', provider).executeTakeFirst();
}

/**
 * Creates the workspace's connection to `provider`, or gives the existing one a new key: either way
 * it syncs as soon as a node is free (next_sync_at = now), and a new key clears the last error
 * (it was most likely the old key's). The ciphertext is sealed for the connection's id, so the
 * caller picks the id first and, on a replace, the stored id is kept (`sealFor`).
 */
export async function putConnection(
  db: Db,
  input: { workspaceId: string; provider: BillingProvider; backfillDays: number | undefined; keyHint: string; createdBy: string; sealFor: (connectionId: string) => string; newId: string },
): Promise<{ row: ConnectionRow; created: boolean }> {
  return db.transaction().execute(async (tx) => {
    const existing = await tx
      .selectFrom('provider_connections')
      .select('id')
      .where('workspace_id', '=', input.workspaceId)
      .where('provider', '=', input.provider)
      .forUpdate()
      .executeTakeFirst();
    if (existing) {
      const row = await tx
        .updateTable('provider_connections')
        .set({
          admin_key_ciphertext: input.sealFor(existing.id),
          key_hint: input.keyHint,
          ...(input.backfillDays !== undefined ? { backfill_days: input.backfillDays } : {}),
          updated_at: sql`now()`,
          last_error: null,
          last_error_at: null,
          next_sync_at: sql`now()`,
          sync_requested_at: sql`now()`,
        })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { row, created: false };
    }
    const row = await tx
      .insertInto('provider_connections')
      .values({
        id: input.newId,
        workspace_id: input.workspaceId,
        provider: input.provider,
        admin_key_ciphertext: input.sealFor(input.newId),
        key_hint: input.keyHint,
        ...(input.backfillDays !== undefined ? { backfill_days: input.backfillDays } : {}),
        created_by: input.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row, created: true };
  });
}

export async function deleteConnection(db: Db, workspaceId: string, provider: BillingProvider): Promise<ConnectionRow | undefined> {
  return db.deleteFrom('provider_connections').where('workspace_id', '=', workspaceId).where('provider', '=', provider).returningAll().executeTakeFirst();
}

/**
 * "Sync now": due at once. `sync_requested_at` also survives a sync already running (see
 * finishSync), so a request made mid-sync gets a sync of its own after it. With `backfillDays`,
 * the next sync starts that many days back (synced_through cleared).
 */
export async function requestSync(db: Db, workspaceId: string, provider: BillingProvider, backfillDays?: number): Promise<ConnectionRow | undefined> {
  return db
    .updateTable('provider_connections')
    .set({
      next_sync_at: sql`now()`,
      sync_requested_at: sql`now()`,
      ...(backfillDays !== undefined ? { backfill_days: backfillDays, synced_through: null, updated_at: sql`now()` } : {}),
    })
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Takes the lease of one due connection whose lease is free or expired, for `nodeId`: at most one
 * node syncs a connection at a time. SKIP LOCKED lets nodes claiming together take different
 * connections; the lease condition is repeated outside the subquery because a concurrent claim
 * that committed first is re-checked there (READ COMMITTED), not in the subquery.
 */
export async function claimDueConnection(db: Db, nodeId: string, leaseMs: number): Promise<ConnectionRow | undefined> {
  const free = sql<boolean>`(lease_until IS NULL OR lease_until < now())`;
  return db
    .updateTable('provider_connections')
    .set({ lease_owner: nodeId, lease_until: leaseExpiry(leaseMs), last_sync_started_at: sql`now()` })
    .where(
      'id',
      '=',
      (eb) =>
        eb
          .selectFrom('provider_connections')
          .select('id')
          .where('next_sync_at', '<=', sql<Date>`now()`)
          .where(free)
          .orderBy('next_sync_at')
          .limit(1)
          .forUpdate()
          .skipLocked(),
    )
    .where(free)
    .returningAll()
    .executeTakeFirst();
}

/** Extends the lease while the sync runs; false when it is no longer this node's (then the sync stops). */
export async function renewLease(db: Db, connectionId: string, nodeId: string, leaseMs: number): Promise<boolean> {
  const row = await db
    .updateTable('provider_connections')
    .set({ lease_until: leaseExpiry(leaseMs) })
    .where('id', '=', connectionId)
    .where('lease_owner', '=', nodeId)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** `keepError`: an interrupted sync (shutdown) leaves the last error as it was. */
export type SyncOutcome = { ok: true; syncedThrough: Date } | { ok: false; error: string; retryInMs: number; keepError?: boolean };

/**
 * Records how the sync went and frees the lease, if it is still this node's. Success moves
 * synced_through and clears the last error; failure keeps the data and what was synced and records
 * the error. A "sync now" asked after this sync started makes it due again at once.
 */
export async function finishSync(db: Db, connectionId: string, nodeId: string, startedAt: Date, outcome: SyncOutcome, intervalMs: number): Promise<void> {
  const requestedSince = sql<boolean>`(sync_requested_at IS NOT NULL AND sync_requested_at > ${startedAt})`;
  const nextIn = outcome.ok ? intervalMs : Math.min(intervalMs, outcome.retryInMs);
  await db
    .updateTable('provider_connections')
    .set({
      lease_owner: null,
      lease_until: null,
      last_sync_finished_at: sql`now()`,
      next_sync_at: sql`CASE WHEN ${requestedSince} THEN now() ELSE now() + make_interval(secs => ${nextIn / 1000}) END`,
      sync_requested_at: sql`CASE WHEN ${requestedSince} THEN sync_requested_at ELSE NULL END`,
      ...(outcome.ok
        ? { last_success_at: sql`now()`, synced_through: outcome.syncedThrough, last_error: null, last_error_at: null }
        : outcome.keepError
          ? {}
          : { last_error: outcome.error.slice(0, 1000), last_error_at: sql`now()` }),
    })
    .where('id', '=', connectionId)
    .where('lease_owner', '=', nodeId)
    .execute();
}
