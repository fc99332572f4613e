import type { ModelLatency, UsageCallFilters, UsageRequestPage, UsageRequestsPageQuery } from '@tally/protocol';

/**
 * The reads that need each call rather than the daily sums the dashboard is built from: the
 * per-request explorer, latency percentiles and spend per `user` label. Implementations: SQL
 * (sql/sql-usage-explorer.ts) and ClickHouse (clickhouse/clickhouse-usage-explorer.ts); both pass
 * test/usage/usage-explorer-contract.ts. Every method takes the workspace owning the data: no call reads
 * another workspace's records. Figures are raw (sums, percentiles as PostgreSQL's percentile_cont);
 * analysis/call-stats.ts rounds and orders them.
 */
export interface UsageExplorer {
  /** Calls matching the filters, newest first (ties by record key), with how many match in all. */
  requestPage(workspaceId: string, query: UsageRequestsPageQuery): Promise<UsageRequestPage>;
  /** p50/p95 latency per model over matching calls that reported one. */
  latencyByModel(workspaceId: string, filters: UsageCallFilters): Promise<ModelLatency[]>;
  /** Calls and cost per `user` label (null: calls without one) over matching calls. */
  spendByUser(workspaceId: string, filters: UsageCallFilters): Promise<RawUserSpend[]>;
}

export interface RawUserSpend {
  user: string | null;
  requests: number;
  /** Sum of cost over priced calls, USD. */
  costUsd: number;
}
