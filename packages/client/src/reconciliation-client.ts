import {
  type ConnectorProvider,
  type Reconciliation,
  type ReconciliationQuery,
  ReconciliationQuerySchema,
  ReconciliationSchema,
  type UsageSources,
  UsageSourcesSchema,
  type UsageSourceSetting,
} from '@tally/protocol';
import { apiQuery } from './api-query.js';
import type { Send } from './request-sender.js';

/** Computed versus billed, and which source a workspace's totals come from (issue 18). */
export interface ReconciliationClient {
  /** Per provider, day and model: Tally's cost from the logs next to the provider's bill, with the likely causes of each difference. */
  reconciliation(workspaceId: string, query?: ReconciliationQuery): Promise<Reconciliation>;
  /** Each billed provider's source for totals (`auto` where none was chosen). */
  usageSources(workspaceId: string): Promise<UsageSources>;
  /** Admins and owners: chooses a provider's source; `auto` removes the choice. */
  setUsageSource(workspaceId: string, provider: ConnectorProvider, setting: UsageSourceSetting): Promise<UsageSources>;
}

export function reconciliationClient(send: Send): ReconciliationClient {
  const at = (workspaceId: string, rest: string) => `/v1/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
  return {
    // async: a bad query is a rejected promise, like every other failure of a call.
    reconciliation: async (workspaceId, query = {}) =>
      send({ method: 'GET', path: at(workspaceId, `/reconciliation${apiQuery(ReconciliationQuerySchema, query)}`), schema: ReconciliationSchema, auth: true }),
    usageSources: (workspaceId) => send({ method: 'GET', path: at(workspaceId, '/usage-sources'), schema: UsageSourcesSchema, auth: true }),
    setUsageSource: (workspaceId, provider, setting) =>
      send({ method: 'PUT', path: at(workspaceId, '/usage-sources'), schema: UsageSourcesSchema, auth: true, json: { provider, setting } }),
  };
}
