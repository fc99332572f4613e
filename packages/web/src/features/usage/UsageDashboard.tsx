import { useEffect, useState } from 'react';
import type { TallyApi } from '../../api/tally-api.js';
import { ChartView } from '../../components/ChartView.js';
import { CsvButton } from '../../components/CsvButton.js';
import { errorMessage } from '../../format.js';
import { spendByChart, spendOverTimeChart } from './dashboard-charts.js';
import type { UsageDashboardData } from './usage-dashboard-data.js';
import { dashboardQuery, dayOf, type UsageFilters } from './usage-filters.js';
import { UsageFiltersBar } from './UsageFiltersBar.js';
import { UsageTotals } from './UsageTotals.js';
import { CallStatsSection } from './CallStatsSection.js';
import { RequestExplorer } from './RequestExplorer.js';

export interface UsageDashboardProps {
  api: TallyApi;
  /** Whose usage the dashboard sums. */
  workspaceId: string;
  filters: UsageFilters;
  onFiltersChange(filters: UsageFilters): void;
  /** Changes after each upload that stored records: load again. */
  version: number;
}

type Load = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'loaded'; data: UsageDashboardData };

/** Totals and charts of the workspace's usage under the filters; an empty state before any upload. */
export function UsageDashboard({ api, workspaceId, filters, onFiltersChange, version }: UsageDashboardProps) {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  // The last time of the data: the "last N days" presets count back from it.
  const [dataTo, setDataTo] = useState<string | null>(null);
  const relative = filters.range === '7d' || filters.range === '30d';
  const query = dashboardQuery(filters, dataTo);
  // The request's identity: filters parsed anew on each render load only when they differ.
  const queryKey = JSON.stringify(query);

  useEffect(() => {
    let current = true;
    api.rest.usageDashboard(workspaceId, query).then(
      (data) => {
        if (!current) return;
        const to = data.available.to ?? null;
        setDataTo(to);
        // A preset asked for before the data's span was known came back unbounded: the next load has it.
        if (relative && dataTo === null && to !== null) return;
        setLoad({ kind: 'loaded', data });
      },
      (error: unknown) => current && setLoad({ kind: 'failed', message: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
    // `query`, `relative` and `dataTo` are all in `queryKey` (the range's dates come from dataTo).
  }, [api, workspaceId, queryKey, version]);

  if (load.kind === 'failed') return <p className="error" role="alert">The usage dashboard could not load: {load.message}</p>;
  if (load.kind === 'loading') return <p className="muted" role="status">Loading usage…</p>;

  const { data } = load;
  if (data.available.models.length === 0) {
    return (
      <section className="card usage-empty" aria-label="No usage yet">
        <h2>No usage yet</h2>
        <p>Upload a usage file above (drop it on the box or choose it) to see your spend by day, model and project.</p>
        <p className="hint">
          You can also send it with <code>tally ingest --workspace {workspaceId} FILE</code> or POST it to{' '}
          <code>/v1/workspaces/{workspaceId}/usage</code> with an API key of this workspace (Workspaces → API keys).
        </p>
      </section>
    );
  }

  const models = union(data.available.models, filters.models);
  const projects = union(data.available.projects, filters.projects);
  return (
    <div className="usage-dashboard" aria-busy={false}>
      <UsageFiltersBar
        filters={filters}
        models={models}
        projects={projects}
        span={{ from: data.available.from ? dayOf(data.available.from) : null, to: data.available.to ? dayOf(data.available.to) : null }}
        onChange={onFiltersChange}
      />
      <p className="muted usage-range" aria-live="polite">
        {data.range.from && data.range.to ? `${dayOf(data.range.from)} to ${lastDayBefore(data.range.to)}` : 'No usage in this range'}
      </p>
      <UsageTotals totals={data.totals} previous={data.previous?.totals ?? null} costSources={data.costSources} />
      {data.previous && (
        <p className="muted usage-range">
          Compared with {dayOf(data.previous.from)} to {lastDayBefore(data.previous.to)}.
        </p>
      )}
      {data.totals.requests === 0 ? (
        <p className="card muted">No usage matches these filters.</p>
      ) : (
        <>
          <div className="usage-charts">
            <div className="chart-card wide">
              <ChartView chart={spendOverTimeChart(data.costByModelByDay, data.byDay.map((d) => d.day))} />
              <CsvButton name="spend-by-day" label="spend by day and model" header={['day', 'model', 'cost_usd']} rows={() => data.costByModelByDay.map((c) => [c.day, c.model, c.costUsd])} />
            </div>
            {BREAKDOWNS.map(([id, title, pick]) => (
              <div className="chart-card" key={id}>
                <ChartView chart={spendByChart(id, title, pick(data))} />
                <CsvButton name={id} label={title.toLowerCase()} header={['key', 'requests', 'cost_usd', 'share']} rows={() => pick(data).map((s) => [s.key, s.requests, s.costUsd, s.share])} />
              </div>
            ))}
          </div>
          <CallStatsSection api={api} workspaceId={workspaceId} filters={query} version={version} />
          <RequestExplorer api={api} workspaceId={workspaceId} filters={query} version={version} />
        </>
      )}
    </div>
  );
}

/** The spend breakdowns, one chart each: [chart id, title, slices]. */
const BREAKDOWNS: Array<[string, string, (d: UsageDashboardData) => UsageDashboardData['byModel']]> = [
  ['spend-by-model', 'Spend by model', (d) => d.byModel],
  ['spend-by-project', 'Spend by project', (d) => d.byProject],
  ['spend-by-feature', 'Spend by feature', (d) => d.byFeature],
  ['spend-by-provider', 'Spend by provider', (d) => d.byProvider],
];

/** `range.to` is exclusive (the next midnight): the day shown is the one before it. */
function lastDayBefore(exclusiveEnd: string): string {
  return dayOf(new Date(Date.parse(exclusiveEnd) - 1).toISOString());
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
