import { vi } from 'vitest';
import type { Connector } from '@tally/protocol';
import { rest } from './rest.js';

/** Gives the workspace an OpenAI connector (made or its key replaced) as `owner`, over the API. */
export async function putTestConnector(baseUrl: string, owner: { token: string }, workspaceId: string, adminKey = 'sk-admin-test-0000'): Promise<void> {
  const put = await rest(baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/openai`, { token: owner.token, json: { adminKey, backfillDays: 3 } });
  if (put.status !== 200 && put.status !== 201) throw new Error(`connector not put: ${put.status} ${JSON.stringify(put.body)}`);
}

/** Where a test reads one of a workspace's connectors: as `owner`, over the API. */
export interface ConnectorView {
  baseUrl: string;
  owner: { token: string };
  workspaceId: string;
}

/** The connector's state as its route shows it. */
export async function readTestConnector(view: ConnectorView, provider: string): Promise<Connector> {
  return (await rest<Connector>(view.baseUrl, 'GET', `/v1/workspaces/${view.workspaceId}/connectors/${provider}`, { token: view.owner.token })).body;
}

/**
 * Waits for a sync of the connector that finished after `after` (its lastSyncFinishedAt before the
 * sync was asked for; null for the first one) and is not followed by one under way, and returns the
 * connector then: the scheduler runs syncs on its own timer, so tests wait on the state, not a delay.
 */
export function connectorSyncedAfter(view: ConnectorView, provider: string, after: string | null): Promise<Connector> {
  return vi.waitFor(
    async () => {
      const c = await readTestConnector(view, provider);
      if (!c.lastSyncFinishedAt || (after !== null && c.lastSyncFinishedAt <= after) || c.syncing) throw new Error(`not synced yet: ${JSON.stringify(c)}`);
      return c;
    },
    { timeout: 30_000, interval: 100 },
  );
}
