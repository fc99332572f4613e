import { useEffect, useState } from 'react';
import { USAGE_STATUSES, type UsageCallFilters, type UsageRequestPage, type UsageStatus } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { CsvButton } from '../../components/CsvButton.js';
import { formatWhen } from '../../components/format-when.js';
import { formatUsd } from '../../components/money.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { allTokens, tokenMixDetail } from '../../components/token-mix.js';
import { errorMessage, formatCount, formatMs } from '../../format.js';

const PAGE = 25;
const COLUMNS: TableColumn[] = [
  { label: 'Time' },
  { label: 'Model' },
  { label: 'Feature' },
  { label: 'User or key' },
  { label: 'Status' },
  { label: 'Tokens', numeric: true },
  { label: 'Cost', numeric: true },
  { label: 'Latency', numeric: true },
];

/** The calls behind the figures, newest first, a page at a time, under the dashboard's filters and a status. */
export function RequestExplorer({ api, workspaceId, filters, version }: { api: TallyApi; workspaceId: string; filters: UsageCallFilters; version: number }) {
  const [status, setStatus] = useState<UsageStatus | 'any'>('any');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<UsageRequestPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const asked: UsageCallFilters = status === 'any' ? filters : { ...filters, statuses: [status] };
  const key = JSON.stringify(asked);
  // New filters start at the first page.
  useEffect(() => setOffset(0), [key]);
  useEffect(() => {
    let current = true;
    api.rest.usageRequests(workspaceId, asked, { limit: PAGE, offset }).then(
      (value) => current && (setPage(value), setError(null)),
      (e: unknown) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
    // `asked` is in `key`.
  }, [api, workspaceId, key, offset, version]);

  const shown = page?.requests ?? [];
  return (
    <section className="card usage-explorer" aria-labelledby="explorer-title">
      <div className="section-head">
        <h2 id="explorer-title">Requests</h2>
        <span className="form-actions">
          <label className="inline-field">
            Status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value as UsageStatus | 'any')}>
              <option value="any">any</option>
              {USAGE_STATUSES.map((s) => (
                <option key={s} value={s}>{s}</option>
              ))}
            </select>
          </label>
          <CsvButton
            name="requests"
            label="this page of requests"
            header={['time', 'provider', 'model', 'project', 'feature', 'user', 'status', 'uncached_input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning', 'cost_usd', 'latency_ms', 'attempt']}
            rows={() => shown.map((r) => [r.ts, r.provider, r.model, r.project, r.feature, r.user, r.status, r.inputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.cacheWrite1hTokens, r.outputTokens, r.reasoningTokens, r.costUsd, r.latencyMs, r.attempt])}
          />
        </span>
      </div>
      {error && <p className="error" role="alert">The requests could not load: {error}</p>}
      {!page && !error && <p className="muted" role="status">Loading requests…</p>}
      {page && (
        <>
          <p className="muted explorer-count" aria-live="polite">
            {page.total === 0 ? 'No request matches.' : `${formatCount(offset + 1)}–${formatCount(offset + shown.length)} of ${formatCount(page.total)}`}
          </p>
          {shown.length > 0 && (
            <TableShell label="Requests" columns={COLUMNS} compact>
              {shown.map((r, i) => (
                <tr key={`${r.ts}-${offset + i}`}>
                  <td data-label="Time" className="num">{formatWhen(r.ts)}</td>
                  <td data-label="Model">{r.model}{r.provider && <span className="muted"> · {r.provider}</span>}</td>
                  <td data-label="Feature">{r.feature}</td>
                  <td data-label="User or key">{r.user ?? '—'}</td>
                  <td data-label="Status" className={r.status === 'ok' ? undefined : 'bad'}>{r.status}{r.attempt > 1 ? ` (retry ${r.attempt - 1})` : ''}</td>
                  <td data-label="Tokens" className="num" title={tokenMixDetail(r, formatCount)}>{formatCount(allTokens(r))}</td>
                  <td data-label="Cost" className="num">{r.costUsd === null ? 'unpriced' : formatUsd(r.costUsd)}</td>
                  <td data-label="Latency" className="num">{r.latencyMs === null ? '—' : formatMs(r.latencyMs)}</td>
                </tr>
              ))}
            </TableShell>
          )}
          <div className="form-actions">
            <button type="button" className="small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Newer</button>
            <button type="button" className="small" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>Older</button>
          </div>
        </>
      )}
    </section>
  );
}
