import type { IngestSummary } from '@tally/protocol';
import { formatCount } from '../../format.js';

export interface IngestSummaryViewProps {
  name: string;
  summary: IngestSummary;
  /** The format the server detected, when it said. */
  format: string | null;
}

/** What an upload did: counts, the refused lines with their reasons, models without a price. */
export function IngestSummaryView({ name, summary, format }: IngestSummaryViewProps) {
  return (
    <div className="ingest-summary" role="group" aria-label={`Upload summary of ${name}`}>
      <p>
        <strong>{name}</strong>
        {format && <span className="format-tag" title="Format detected by the server">{format}</span>}
      </p>
      <p>
        {formatCount(summary.lines)} lines, <span data-count="inserted">{formatCount(summary.inserted)}</span> new,{' '}
        {formatCount(summary.duplicates)} already there, <span className={summary.rejected ? 'bad' : ''}>{formatCount(summary.rejected)} refused</span>
      </p>
      {summary.unpricedModels.length > 0 && (
        <p className="notice">Models without a known price (stored, not counted in cost): {summary.unpricedModels.join(', ')}</p>
      )}
      {summary.errors.length > 0 && (
        // Open when nothing got in: then the refused lines are the whole story.
        <details open={summary.inserted === 0}>
          <summary>Refused lines{summary.rejected > summary.errors.length ? ` (first ${summary.errors.length})` : ''}</summary>
          <div className="table-scroll">
            <table className="compact bad-lines">
              <thead>
                <tr><th scope="col">Line</th><th scope="col">Reason</th></tr>
              </thead>
              <tbody>
                {summary.errors.map((e) => (
                  <tr key={e.line}><td className="num">{e.line}</td><td>{e.reason}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
