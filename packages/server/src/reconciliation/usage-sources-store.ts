import { CONNECTOR_PROVIDERS, type ConnectorProvider, type UsageSource, type UsageSourceSetting } from '@tally/protocol';
import type { Db } from '../store/database.js';

/** A workspace's choice per provider (workspace_usage_sources); a provider without a row is `auto`. */
export async function readUsageSources(db: Db, workspaceId: string): Promise<UsageSource[]> {
  const rows = await db.selectFrom('workspace_usage_sources').select(['provider', 'authoritative', 'updated_by', 'updated_at']).where('workspace_id', '=', workspaceId).execute();
  return CONNECTOR_PROVIDERS.map((provider) => {
    const row = rows.find((r) => r.provider === provider);
    return row
      ? { provider, setting: row.authoritative, updatedBy: row.updated_by, updatedAt: new Date(row.updated_at).toISOString() }
      : { provider, setting: 'auto', updatedBy: null, updatedAt: null };
  });
}

/** The settings as reconcile() takes them. */
export function settingsOf(sources: readonly UsageSource[]): Record<string, UsageSourceSetting> {
  return Object.fromEntries(sources.map((s) => [s.provider, s.setting]));
}

/** Stores a choice; `auto` removes the row (auto is the absence of a choice). */
export async function putUsageSource(db: Db, workspaceId: string, provider: ConnectorProvider, setting: UsageSourceSetting, userId: string): Promise<void> {
  if (setting === 'auto') {
    await db.deleteFrom('workspace_usage_sources').where('workspace_id', '=', workspaceId).where('provider', '=', provider).execute();
    return;
  }
  await db
    .insertInto('workspace_usage_sources')
    .values({ workspace_id: workspaceId, provider, authoritative: setting, updated_by: userId })
    .onConflict((oc) => oc.columns(['workspace_id', 'provider']).doUpdateSet({ authoritative: setting, updated_by: userId, updated_at: new Date() }))
    .execute();
}

/** Per provider, the end of the last complete day its connector fetched (provider_connections.synced_through). */
export async function readCompleteThrough(db: Db, workspaceId: string): Promise<Record<string, Date | null>> {
  const rows = await db.selectFrom('provider_connections').select(['provider', 'synced_through']).where('workspace_id', '=', workspaceId).execute();
  return Object.fromEntries(rows.map((r) => [r.provider, r.synced_through === null ? null : new Date(r.synced_through)]));
}
