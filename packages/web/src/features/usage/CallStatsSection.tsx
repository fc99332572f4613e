import { useEffect, useState } from 'react';
import type { UsageCallFilters, UsageCallStats } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { CsvButton } from '../../components/CsvButton.js';
import { formatUsd } from '../../components/money.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { errorMessage, formatCount, formatMs, formatPercent } from '../../format.js';

const LATENCY_COLUMNS: TableColumn[] = [{ label: 'Model' }, { label: 'Calls', numeric: true }, { label: 'p50', numeric: true }, { label: 'p95', numeric: true }];
/** Users shown; the rest are in the CSV (a file with thousands of end users would bury the page). */
const TOP_USERS = 15;
const USER_COLUMNS: TableColumn[] = [{ label: 'User or key' }, { label: 'Requests', numeric: true }, { label: 'Spend', numeric: true }, { label: 'Share', numeric: true }];

/** Latency p50/p95 per model and spend per user label, for the dashboard's filters. */
export function CallStatsSection({ api, workspaceId, filters, version }: { api: TallyApi; workspaceId: string; filters: UsageCallFilters; version: number }) {
  const [stats, setStats] = useState<UsageCallStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    let current = true;
    api.rest.usageCallStats(workspaceId, filters).then(
      (value) => current && (setStats(value), setError(null)),
      (e: unknown) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
    // `filters` is in `key`.
  }, [api, workspaceId, key, version]);

  if (error) return <p className="error" role="alert">Latency and spend per user could not load: {error}</p>;
  if (!stats) return <p className="muted" role="status">Loading latency and spend per user…</p>;
  return (
    <div className="usage-tables">
      <section className="card usage-table-card" aria-labelledby="latency-title">
        <div className="section-head">
          <h2 id="latency-title">Latency by model</h2>
          <CsvButton name="latency-by-model" label="latency by model" header={['model', 'calls', 'p50_ms', 'p95_ms']} rows={() => stats.latencyByModel.map((r) => [r.model, r.calls, r.p50Ms, r.p95Ms])} />
        </div>
        {stats.latencyByModel.length === 0 ? (
          <p className="muted">No call in this view reported its latency.</p>
        ) : (
          <TableShell label="Latency by model" columns={LATENCY_COLUMNS} compact>
            {stats.latencyByModel.map((r) => (
              <tr key={r.model}>
                <td data-label="Model">{r.model}</td>
                <td data-label="Calls" className="num">{formatCount(r.calls)}</td>
                <td data-label="p50" className="num">{formatMs(r.p50Ms)}</td>
                <td data-label="p95" className="num">{formatMs(r.p95Ms)}</td>
              </tr>
            ))}
          </TableShell>
        )}
      </section>
      <section className="card usage-table-card" aria-labelledby="by-user-title">
        <div className="section-head">
          <h2 id="by-user-title">Spend by user or key</h2>
          <CsvButton name="spend-by-user" label="spend by user or key" header={['user', 'requests', 'cost_usd', 'share']} rows={() => stats.byUser.map((r) => [r.user ?? '', r.requests, r.costUsd, r.share])} />
        </div>
        <TableShell label="Spend by user or key" columns={USER_COLUMNS} compact>
          {stats.byUser.slice(0, TOP_USERS).map((r) => (
            <tr key={r.user ?? ''}>
              <td data-label="User or key">{r.user ?? <span className="muted">no label</span>}</td>
              <td data-label="Requests" className="num">{formatCount(r.requests)}</td>
              <td data-label="Spend" className="num">{formatUsd(r.costUsd)}</td>
              <td data-label="Share" className="num">{formatPercent(r.share)}</td>
            </tr>
          ))}
        </TableShell>
        {stats.byUser.length > TOP_USERS && (
          <p className="muted explorer-count">The {TOP_USERS} biggest of {formatCount(stats.byUser.length)}; the CSV has every one.</p>
        )}
      </section>
    </div>
  );
}
