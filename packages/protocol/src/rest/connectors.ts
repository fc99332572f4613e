import { z } from 'zod';
import { safeText } from '../safe-text.js';

/**
 * Provider connectors (issue 18): a workspace's admin key for a provider's usage and cost API,
 * synced hourly into billing buckets. The key is write-only: answers show its last 4 characters.
 * Routes: /v1/workspaces/:workspaceId/connectors[/:provider[/sync|/backfill]] (docs/CONNECTORS.md).
 */
export const CONNECTOR_PROVIDERS = ['openai', 'anthropic'] as const;
export const ConnectorProviderSchema = z.enum(CONNECTOR_PROVIDERS);
export type ConnectorProvider = z.infer<typeof ConnectorProviderSchema>;

/** The days fetched on the first sync (and on a backfill); the providers keep about a year. */
export const MAX_BACKFILL_DAYS = 366;
const backfillDays = z.number().int().min(1).max(MAX_BACKFILL_DAYS);

/** Creates the provider's connector, or replaces its key (and backfill days) when it exists. */
export const PutConnectorRequestSchema = z.object({
  /** The provider's admin key (OpenAI `sk-admin-...`, Anthropic `sk-ant-admin...`); stored encrypted. */
  adminKey: safeText().trim().min(8).max(400),
  backfillDays: backfillDays.optional(),
});
export type PutConnectorRequest = z.infer<typeof PutConnectorRequestSchema>;

/** Fetches again from `days` days back (buckets fetched again replace the stored ones). */
export const BackfillConnectorRequestSchema = z.object({ days: backfillDays });
export type BackfillConnectorRequest = z.infer<typeof BackfillConnectorRequestSchema>;

export const ConnectorSchema = z.object({
  id: z.string().uuid(),
  provider: ConnectorProviderSchema,
  /** The admin key's last 4 characters. */
  keyHint: z.string().nullable(),
  backfillDays: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** ISO 8601 times; null when it has not happened yet. */
  lastSyncStartedAt: z.string().nullable(),
  lastSyncFinishedAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  /** The last sync's failure (`CONNECTOR_KEY_REJECTED: ...`), null once a sync succeeds. */
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  /** End of the last complete UTC day fetched: buckets before it are final. */
  syncedThrough: z.string().nullable(),
  nextSyncAt: z.string(),
  /** Whether a node is syncing it now. */
  syncing: z.boolean(),
  /** "Sync now" was asked and has not run yet. */
  syncRequested: z.boolean(),
});
export type Connector = z.infer<typeof ConnectorSchema>;

export const ConnectorListSchema = z.object({ connectors: z.array(ConnectorSchema) });
export type ConnectorList = z.infer<typeof ConnectorListSchema>;
