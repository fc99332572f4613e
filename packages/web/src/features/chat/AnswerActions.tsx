import { useEffect, useId, useRef, useState } from 'react';
import type { AnswerFeedback, AnswerRating } from '@tally/protocol';
import { MAX_FEEDBACK_NOTE_LENGTH } from '@tally/protocol';
import { ThumbDownIcon, ThumbUpIcon } from '../../components/icons.js';
import { useCopy } from '../../components/use-copy.js';
import { errorMessage } from '../../format.js';

export interface AnswerActionsProps {
  /** The answer's markdown, as copied. Empty for a run that ended without one. */
  answer: string;
  /** How the run ended: a failed or stopped one is retried, a completed one regenerated. */
  ended: 'completed' | 'failed' | 'cancelled';
  feedback: AnswerFeedback | undefined;
  onRate: (rating: AnswerRating, note: string | null) => Promise<void>;
  onClearRating: () => Promise<void>;
  /** Asks the same question again: a new run, its card after the others. */
  onAskAgain: () => Promise<void>;
}

/** Under a finished answer: copy it, ask again (regenerate or retry), and rate it with an optional note. */
export function AnswerActions({ answer, ended, feedback, onRate, onClearRating, onAskAgain }: AnswerActionsProps) {
  const { copied, copy } = useCopy();
  const [noteFor, setNoteFor] = useState<AnswerRating | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const noteId = useId();
  const noteBox = useRef<HTMLTextAreaElement>(null);
  const ratingButtons = { up: useRef<HTMLButtonElement>(null), down: useRef<HTMLButtonElement>(null) };
  const rated = feedback?.rating;

  // The note box takes the focus when it opens, so a keyboard user types the note next.
  useEffect(() => {
    if (noteFor) noteBox.current?.focus();
  }, [noteFor]);

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  /** Closes the note box and gives the focus back to the rating it was for (the box's controls go away). */
  function closeNote() {
    const rating = noteFor;
    setNoteFor(null);
    if (rating) ratingButtons[rating].current?.focus();
  }

  function rate(rating: AnswerRating) {
    // Not disabled while saving: a disabled button would drop the keyboard focus to the page.
    if (busy) return;
    if (rated === rating) {
      setNoteFor(null);
      void act(onClearRating);
      return;
    }
    // The rating is kept at once; the note is an optional second step.
    void act(async () => {
      await onRate(rating, feedback?.note ?? null);
      setNote(feedback?.note ?? '');
      setNoteFor(rating);
    });
  }

  return (
    <div className="answer-actions" role="group" aria-label="Answer actions">
      {answer && (
        <button type="button" className="small" onClick={() => void copy(answer)} aria-label="Copy answer">
          {copied ? 'Copied' : 'Copy'}
        </button>
      )}
      <button type="button" className="small" disabled={busy} onClick={() => void act(onAskAgain)} aria-label={ended === 'completed' ? 'Regenerate answer' : 'Retry this question'}>
        {ended === 'completed' ? 'Regenerate' : 'Retry'}
      </button>
      <span className="answer-rating">
        <button ref={ratingButtons.up} type="button" className="small icon-button" aria-label="Good answer" aria-pressed={rated === 'up'} onClick={() => rate('up')}>
          <ThumbUpIcon />
        </button>
        <button ref={ratingButtons.down} type="button" className="small icon-button" aria-label="Bad answer" aria-pressed={rated === 'down'} onClick={() => rate('down')}>
          <ThumbDownIcon />
        </button>
      </span>
      <span role="status" className="muted answer-actions-status">
        {copied === true && 'Answer copied.'}
        {copied === false && 'Copying is not allowed here; select the answer and copy it.'}
        {rated && noteFor === null && (feedback?.note ? `Rated ${rated === 'up' ? 'good' : 'bad'}: “${feedback.note}”` : `Rated ${rated === 'up' ? 'good' : 'bad'}.`)}
      </span>
      {noteFor && (
        <form
          className="answer-note"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await onRate(noteFor, note.trim() || null);
              closeNote();
            });
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') closeNote();
          }}
        >
          <label htmlFor={noteId}>Note on this answer (optional)</label>
          <textarea id={noteId} ref={noteBox} rows={2} maxLength={MAX_FEEDBACK_NOTE_LENGTH} value={note} onChange={(e) => setNote(e.target.value)} />
          <div className="form-actions">
            <button type="submit" className="small primary" disabled={busy}>Save note</button>
            <button type="button" className="small" onClick={closeNote}>Skip</button>
          </div>
        </form>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}
