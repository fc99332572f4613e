import { useEffect, useState } from 'react';
import type { AdminAnswerFeedback, AnswerRating } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { formatWhen } from '../../components/format-when.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { errorMessage } from '../../format.js';

const COLUMNS: TableColumn[] = [{ label: 'When' }, { label: 'Who' }, { label: 'Rating' }, { label: 'Question' }, { label: 'Note' }];
const LIMIT = 100;

/** What users said of the answers they got, newest first, all or only the good or bad ones. */
export function AnswerFeedbackSection({ api }: { api: TallyApi }) {
  const [rating, setRating] = useState<AnswerRating | 'all'>('all');
  const [rows, setRows] = useState<AdminAnswerFeedback[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    api.rest.admin.listFeedback({ limit: LIMIT, ...(rating === 'all' ? {} : { rating }) }).then(
      (list) => current && (setRows(list), setError(null)),
      (e: unknown) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
  }, [api, rating]);

  return (
    <section className="card settings-section" aria-labelledby="feedback-title">
      <div className="section-head">
        <h2 id="feedback-title">Answer feedback</h2>
        <label>
          Show{' '}
          <select value={rating} onChange={(e) => setRating(e.target.value as AnswerRating | 'all')}>
            <option value="all">All ratings</option>
            <option value="up">Good answers</option>
            <option value="down">Bad answers</option>
          </select>
        </label>
      </div>
      {error && <p className="error" role="alert">Could not load the feedback: {error}</p>}
      {!rows && !error && <p className="muted" role="status">Loading the feedback…</p>}
      {rows && (
        <TableShell label="Answer feedback" columns={COLUMNS} compact>
          {rows.length === 0 && (
            <tr><td colSpan={5} className="muted">No feedback yet.</td></tr>
          )}
          {rows.map((f) => (
            <tr key={f.runId}>
              <td data-label="When">{formatWhen(f.updatedAt)}</td>
              <td data-label="Who">{f.userEmail}</td>
              <td data-label="Rating">{f.rating === 'up' ? '👍 good' : '👎 bad'}</td>
              <td data-label="Question" className="scope" title={f.threadTitle}>{f.question}</td>
              <td data-label="Note">{f.note ?? '—'}</td>
            </tr>
          ))}
        </TableShell>
      )}
    </section>
  );
}
