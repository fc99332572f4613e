import { useEffect, useState } from 'react';
import type { RepriceJob } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { formatUsd } from '../../components/money.js';
import { errorMessage } from '../../format.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'Model' }, { label: 'Records', numeric: true }, { label: 'Changed', numeric: true }, { label: 'Stored cost', numeric: true }, { label: 'New cost', numeric: true }];

const POLL_MS = 500;

/**
 * Re-pricing stored records with the prices in force: a preview (stored and new totals per model)
 * first, then its application, each with its progress, polled from the server.
 */
export function RepriceSection({ api }: { api: TallyApi }) {
  const [job, setJob] = useState<RepriceJob | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!job || job.status !== 'running') return;
    const timer = setTimeout(() => {
      api.rest.admin.repriceJob(job.id).then(setJob, (e: unknown) => setError(errorMessage(e)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [api, job]);

  const start = (run: () => Promise<RepriceJob>) => {
    setError(null);
    run().then(setJob, (e: unknown) => setError(errorMessage(e)));
  };
  const running = job?.status === 'running';
  const previewDone = job?.kind === 'preview' && job.status === 'done';

  return (
    <section className="card settings-section" aria-labelledby="reprice-title">
      <h2 id="reprice-title">Re-price stored records</h2>
      <p className="hint">Records keep the cost they were priced at. Preview what every stored record costs with the prices in force now, then apply it.</p>
      <div className="button-row">
        <button type="button" disabled={running} onClick={() => start(() => api.rest.admin.previewReprice())}>Preview</button>
        {previewDone && (
          <button type="button" onClick={() => start(() => api.rest.admin.applyReprice(job.id))}>Apply these prices</button>
        )}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {job && (
        <>
          <p role="status" data-testid="reprice-progress">
            {job.kind === 'preview' ? 'Preview' : 'Application'} {job.status === 'failed' ? `failed: ${job.error ?? ''}` : job.status === 'done' ? 'done' : 'running'}: {job.progress.percent}% ({job.progress.rowsDone} of {job.progress.rowsTotal} records, {job.progress.rowsChanged} changed)
          </p>
          {job.models && job.totals && (
            <TableShell label="Re-pricing totals" columns={COLUMNS}>
              {job.models.map((m) => (
                <tr key={m.model} data-model={m.model}>
                  <th scope="row" data-label="Model">{m.model}</th>
                  <td data-label="Records" className="num">{m.records}</td>
                  <td data-label="Changed" className="num">{m.changedRecords}</td>
                  <td data-label="Stored cost" className="num">{formatUsd(m.oldCostUsd)}</td>
                  <td data-label="New cost" className="num">{formatUsd(m.newCostUsd)}</td>
                </tr>
              ))}
              <tr data-model="">
                <th scope="row" data-label="Model">Total</th>
                <td /><td />
                <td data-label="Stored cost" className="num">{formatUsd(job.totals.oldCostUsd)}</td>
                <td data-label="New cost" className="num">{formatUsd(job.totals.newCostUsd)}</td>
              </tr>
            </TableShell>
          )}
        </>
      )}
    </section>
  );
}
