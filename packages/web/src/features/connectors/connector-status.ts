import type { Connector, ConnectorProvider } from '@tally/protocol';

export const PROVIDER_LABELS: Record<ConnectorProvider, string> = { openai: 'OpenAI', anthropic: 'Anthropic' };

/** What each provider's admin key looks like and where it is made (docs/CONNECTORS.md has the scopes). */
export const KEY_HINTS: Record<ConnectorProvider, string> = {
  openai: 'An organization admin key (sk-admin-…), read-only: platform.openai.com → Settings → Admin keys.',
  anthropic: 'An admin API key (sk-ant-admin…): console.anthropic.com → Settings → Admin keys.',
};

/** One line for a connector's state: syncing, failing (with why), synced, or waiting for its first sync. */
export function connectorState(c: Connector): { tone: 'busy' | 'error' | 'ok' | 'waiting'; text: string } {
  if (c.syncing) return { tone: 'busy', text: 'Syncing now…' };
  if (c.lastError && (!c.lastSuccessAt || (c.lastErrorAt ?? '') > c.lastSuccessAt)) return { tone: 'error', text: `Last sync failed: ${c.lastError}` };
  if (c.syncRequested) return { tone: 'busy', text: 'Sync asked; a server takes it within moments.' };
  if (c.lastSuccessAt) return { tone: 'ok', text: 'Synced' };
  return { tone: 'waiting', text: 'Waiting for its first sync' };
}

/** Whether the list should be read again soon: something is under way. */
export function connectorsBusy(list: readonly Connector[]): boolean {
  return list.some((c) => c.syncing || c.syncRequested || !c.lastSyncFinishedAt);
}
