import crypto from 'node:crypto';
import type { BackfillConnectorRequest, Connector, PutConnectorRequest } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import { keyHintOf, type AdminKeyCipher } from './admin-key-cipher.js';
import type { BillingProvider } from './billing-bucket.js';
import { deleteConnection, findConnection, listConnections, putConnection, requestSync, toConnector } from './connection-store.js';

/** Who acts, from where: the audit log's actor and address. */
export interface Actor {
  workspaceId: string;
  userId: string;
  ip: string;
}

export interface ConnectorService {
  list(workspaceId: string): Promise<Connector[]>;
  get(workspaceId: string, provider: BillingProvider): Promise<Connector>;
  put(actor: Actor, provider: BillingProvider, request: PutConnectorRequest): Promise<{ connector: Connector; created: boolean }>;
  remove(actor: Actor, provider: BillingProvider): Promise<void>;
  syncNow(actor: Actor, provider: BillingProvider): Promise<Connector>;
  backfill(actor: Actor, provider: BillingProvider, request: BackfillConnectorRequest): Promise<Connector>;
}

/**
 * A workspace's connectors, as its routes use them: every call is scoped to the workspace the
 * guard admitted the caller to. The admin key goes in sealed (admin-key-cipher.ts) and never comes
 * out: answers carry its hint. Changes are audited in the workspace's log and made due at once;
 * `nudge` wakes this node's scheduler, the bus message the other nodes'.
 */
export function createConnectorService(deps: { db: Db; bus: Bus; audit: AuditLog; cipher: AdminKeyCipher | null; nudge: () => void }): ConnectorService {
  const { db, audit } = deps;
  const wake = () => {
    deps.nudge();
    // At most once: a lost message leaves the sync to the next tick.
    void deps.bus.publish(channels.connectorSyncRequested, '').catch(() => undefined);
  };
  const found = <T>(row: T | undefined): T => {
    if (!row) throw new AppError('CONNECTOR_NOT_FOUND');
    return row;
  };

  return {
    async list(workspaceId) {
      return (await listConnections(db, workspaceId)).map((r) => toConnector(r));
    },
    async get(workspaceId, provider) {
      return toConnector(found(await findConnection(db, workspaceId, provider)));
    },
    async put(actor, provider, request) {
      const cipher = deps.cipher;
      if (!cipher) throw new AppError('CONNECTOR_ENCRYPTION_UNAVAILABLE');
      const { row, created } = await putConnection(db, {
        workspaceId: actor.workspaceId,
        provider,
        backfillDays: request.backfillDays,
        keyHint: keyHintOf(request.adminKey),
        createdBy: actor.userId,
        newId: crypto.randomUUID(),
        sealFor: (id) => cipher.encrypt(request.adminKey, id),
      });
      await audit.record({
        action: created ? 'connector.created' : 'connector.key_replaced',
        actorId: actor.userId,
        workspaceId: actor.workspaceId,
        target: `connector:${provider}`,
        ip: actor.ip,
        details: { keyHint: row.key_hint, backfillDays: row.backfill_days },
      });
      wake();
      return { connector: toConnector(row), created };
    },
    async remove(actor, provider) {
      // The provider's figures go with it: kept, they would still count as the bill for those days.
      await db.transaction().execute(async (tx) => {
        found(await deleteConnection(tx, actor.workspaceId, provider));
        await tx.deleteFrom('provider_billing_buckets').where('workspace_id', '=', actor.workspaceId).where('provider', '=', provider).execute();
        await audit.record({ action: 'connector.removed', actorId: actor.userId, workspaceId: actor.workspaceId, target: `connector:${provider}`, ip: actor.ip }, tx);
      });
    },
    async syncNow(actor, provider) {
      const row = found(await requestSync(db, actor.workspaceId, provider));
      await audit.record({ action: 'connector.sync_requested', actorId: actor.userId, workspaceId: actor.workspaceId, target: `connector:${provider}`, ip: actor.ip });
      wake();
      return toConnector(row);
    },
    async backfill(actor, provider, request) {
      const row = found(await requestSync(db, actor.workspaceId, provider, request.days));
      await audit.record({ action: 'connector.backfill_requested', actorId: actor.userId, workspaceId: actor.workspaceId, target: `connector:${provider}`, ip: actor.ip, details: { days: request.days } });
      wake();
      return toConnector(row);
    },
  };
}
