import {
  type BackfillConnectorRequest,
  type Connector,
  type ConnectorProvider,
  ConnectorListSchema,
  ConnectorSchema,
  type PutConnectorRequest,
} from '@tally/protocol';
import { EmptySchema, type Send } from './request-sender.js';

/** A workspace's provider connectors (issue 18): status for members; admin keys and syncs for admins and owners. */
export interface ConnectorClient {
  list(workspaceId: string): Promise<Connector[]>;
  get(workspaceId: string, provider: ConnectorProvider): Promise<Connector>;
  /** Creates the provider's connector or replaces its admin key; the key is never returned (its last 4 characters are). */
  put(workspaceId: string, provider: ConnectorProvider, request: PutConnectorRequest): Promise<Connector>;
  /** Removes the connector and the provider's figures it synced. */
  remove(workspaceId: string, provider: ConnectorProvider): Promise<void>;
  /** "Sync now": a node syncs it within moments. */
  syncNow(workspaceId: string, provider: ConnectorProvider): Promise<Connector>;
  /** Fetches again from `days` days back. */
  backfill(workspaceId: string, provider: ConnectorProvider, request: BackfillConnectorRequest): Promise<Connector>;
}

export function connectorClient(send: Send): ConnectorClient {
  const at = (workspaceId: string, provider?: ConnectorProvider, rest = '') =>
    `/v1/workspaces/${encodeURIComponent(workspaceId)}/connectors${provider ? `/${encodeURIComponent(provider)}${rest}` : ''}`;
  return {
    list: async (workspaceId) => (await send({ method: 'GET', path: at(workspaceId), schema: ConnectorListSchema, auth: true })).connectors,
    get: (workspaceId, provider) => send({ method: 'GET', path: at(workspaceId, provider), schema: ConnectorSchema, auth: true }),
    put: (workspaceId, provider, request) => send({ method: 'PUT', path: at(workspaceId, provider), schema: ConnectorSchema, auth: true, json: request }),
    remove: async (workspaceId, provider) => void (await send({ method: 'DELETE', path: at(workspaceId, provider), schema: EmptySchema, auth: true })),
    syncNow: (workspaceId, provider) => send({ method: 'POST', path: at(workspaceId, provider, '/sync'), schema: ConnectorSchema, auth: true }),
    backfill: (workspaceId, provider, request) => send({ method: 'POST', path: at(workspaceId, provider, '/backfill'), schema: ConnectorSchema, auth: true, json: request }),
  };
}
