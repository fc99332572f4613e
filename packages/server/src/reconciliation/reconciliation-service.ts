import type { ConnectorProvider, Reconciliation, UsageCostSources, UsageSources, UsageSourceSetting } from '@tally/protocol';
import { readBuckets } from '../connectors/billing-bucket-store.js';
import type { Db } from '../store/database.js';
import type { TimeRange, UsageAggregateRow, UsageStore } from '../usage/usage-store.js';
import { dashboardCostSources } from './dashboard-cost-sources.js';
import { reconcile } from './reconcile.js';
import { putUsageSource, readCompleteThrough, readUsageSources, settingsOf } from './usage-sources-store.js';

const DAY_MS = 86_400_000;

/**
 * Reads what reconcile() compares, for one workspace (every read is scoped to it): the
 * request-level sums from the usage store, the stored bill, the workspace's source choices and how
 * far each connector's days are complete. The window is widened to whole UTC days, since both
 * sides are compared per day.
 */
export function createReconciliationService(deps: { db: Db; usageStore: UsageStore }) {
  return {
    async reconcile(workspaceId: string, range: TimeRange = {}): Promise<Reconciliation> {
      const days = wholeDays(range);
      const [computed, billed, sources, completeThrough] = await Promise.all([
        deps.usageStore.aggregate(workspaceId, days),
        readBuckets(deps.db, workspaceId, { ...(days.from ? { from: new Date(days.from) } : {}), ...(days.to ? { to: new Date(days.to) } : {}) }),
        readUsageSources(deps.db, workspaceId),
        readCompleteThrough(deps.db, workspaceId),
      ]);
      return reconcile({ computed, billed, settings: settingsOf(sources), completeThrough, from: days.from ?? null, to: days.to ?? null });
    },
    /** The dashboard's total with each provider from its source, over `rows` (the window's, whole UTC days). */
    async costSources(workspaceId: string, rows: readonly UsageAggregateRow[], range: TimeRange): Promise<UsageCostSources & { costUsd: number }> {
      const [billed, sources, completeThrough] = await Promise.all([
        readBuckets(deps.db, workspaceId, { ...(range.from ? { from: new Date(range.from) } : {}), ...(range.to ? { to: new Date(range.to) } : {}) }),
        readUsageSources(deps.db, workspaceId),
        readCompleteThrough(deps.db, workspaceId),
      ]);
      return dashboardCostSources({ rows, billed, settings: settingsOf(sources), completeThrough });
    },
    async sources(workspaceId: string): Promise<UsageSources> {
      return { sources: await readUsageSources(deps.db, workspaceId) };
    },
    async setSource(workspaceId: string, userId: string, provider: ConnectorProvider, setting: UsageSourceSetting): Promise<UsageSources> {
      await putUsageSource(deps.db, workspaceId, provider, setting, userId);
      return { sources: await readUsageSources(deps.db, workspaceId) };
    },
  };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;

/** `from` down to its UTC midnight, `to` up to the next one (unchanged when already on one). */
export function wholeDays(range: TimeRange): TimeRange {
  const from = range.from === undefined ? undefined : new Date(Math.floor(Date.parse(range.from) / DAY_MS) * DAY_MS).toISOString();
  const to = range.to === undefined ? undefined : new Date(Math.ceil(Date.parse(range.to) / DAY_MS) * DAY_MS).toISOString();
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
