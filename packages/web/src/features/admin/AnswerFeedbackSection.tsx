import { useState } from 'react';
import type { AnswerRating } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';
import { useLoaded } from '../../components/use-loaded.js';

const COLUMNS: TableColumn[] = [{ label: 'When' }, { label: 'Who' }, { label: 'Rating' }, { label: 'Question' }, { label: 'Note' }];
const LIMIT = 100;

/** What users said of the answers they got, newest first, all or only the good or bad ones. */
export function AnswerFeedbackSection({ api }: { api: TallyApi }) {
  const [rating, setRating] = useState<AnswerRating | 'all'>('all');
  const [feedback, reload] = useLoaded(() => api.rest.admin.listFeedback({ limit: LIMIT, ...(rating === 'all' ? {} : { rating }) }));

  return (
    <section className="card settings-section" aria-labelledby="feedback-title">
      <div className="section-head">
        <h2 id="feedback-title">Answer feedback</h2>
        <label>
          Show{' '}
          <select
            value={rating}
            onChange={(e) => {
              setRating(e.target.value as AnswerRating | 'all');
              reload(); // the next load reads the new rating: reload() takes effect after this render
            }}
          >
            <option value="all">All ratings</option>
            <option value="up">Good answers</option>
            <option value="down">Bad answers</option>
          </select>
        </label>
      </div>
      <LoadState state={feedback} what="the feedback">
        {(rows) => (
          <TableShell label="Answer feedback" columns={COLUMNS} compact>
            {rows.length === 0 && (
              <tr><td colSpan={5} className="muted">No feedback yet.</td></tr>
            )}
            {rows.map((f) => (
              <tr key={f.runId}>
                <td data-label="When">{formatWhen(f.updatedAt)}</td>
                <td data-label="Who">{f.userEmail}</td>
                <td data-label="Rating">{f.rating === 'up' ? 'Good' : 'Bad'}</td>
                <td data-label="Question" className="scope" title={f.threadTitle}>{f.question}</td>
                <td data-label="Note">{f.note ?? '—'}</td>
              </tr>
            ))}
          </TableShell>
        )}
      </LoadState>
    </section>
  );
}
