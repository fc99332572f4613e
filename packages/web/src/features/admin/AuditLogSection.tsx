import { useEffect, useState } from 'react';
import type { AuditPage } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { formatWhen } from '../../components/format-when.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'When' }, { label: 'Who' }, { label: 'Action' }, { label: 'Target' }, { label: 'IP' }];

const PAGE_SIZE = 20;

export interface AuditLogSectionProps {
  api: TallyApi;
  /** The section's heading; the server-wide log unless said. */
  title?: string;
  /** Where the pages come from: the server's log (admins) unless said, e.g. one workspace's. */
  load?: (query: { limit: number; before?: string }) => Promise<AuditPage>;
}

/** Recent audit events, newest first, a page at a time. */
export function AuditLogSection({ api, title = 'Audit log', load }: AuditLogSectionProps) {
  // The `before` cursor of each page shown so far; the first page has none.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const before = cursors.at(-1);

  useEffect(() => {
    let current = true;
    const query = { limit: PAGE_SIZE, ...(before ? { before } : {}) };
    (load ? load(query) : api.rest.admin.listAuditEvents(query)).then(
      (value) => current && (setPage(value), setError(null)),
      (e: unknown) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; what it reads (a workspace) changes only with the section's key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, before]);

  return (
    <section className="card settings-section" aria-labelledby="audit-title">
      <div className="section-head">
        <h2 id="audit-title">{title}</h2>
        <span className="muted">Page {cursors.length}</span>
      </div>
      {error && <p className="error" role="alert">Could not load the audit log: {error}</p>}
      {!page && !error && <p className="muted" role="status">Loading the audit log…</p>}
      {page && (
        <TableShell label="Audit events" columns={COLUMNS} compact>
          {page.events.length === 0 && (
            <tr><td colSpan={5} className="muted">No event.</td></tr>
          )}
          {page.events.map((e) => (
            <tr key={e.id}>
              <td data-label="When">{formatWhen(e.at)}</td>
              <td data-label="Who">{e.actorEmail ?? (e.actorId ? e.actorId : 'system')}</td>
              <td data-label="Action"><code>{e.action}</code></td>
              <td data-label="Target" className={e.targetLabel ? undefined : 'scope'} title={e.target ?? undefined}>{e.targetLabel ?? e.target ?? '—'}</td>
              <td data-label="IP">{e.ip ?? '—'}</td>
            </tr>
          ))}
        </TableShell>
      )}
      <div className="form-actions">
        <button type="button" className="small" disabled={cursors.length === 1} onClick={() => setCursors([undefined])}>Newest</button>
        <button type="button" className="small" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button
          type="button"
          className="small"
          disabled={!page?.nextBefore}
          onClick={() => page?.nextBefore && setCursors([...cursors, page.nextBefore])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
