import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS } from '@tally/protocol';
import { PencilIcon } from '../../components/icons.js';
import { isSendKey, useSendText } from './use-send-text.js';

export interface QuestionBubbleProps {
  /** The element id a search hit or a link brings into view. */
  id: string;
  text: string;
  /** Sends the edited question as a new one (its own run); rejects to keep the editor open. Absent: read-only. */
  onResend?: ((text: string) => Promise<void>) | undefined;
}

/** The user's question, with an editor to change it and ask again (Enter sends, Escape cancels). */
export function QuestionBubble({ id, text, onResend }: QuestionBubbleProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const { sending, send } = useSendText(onResend ?? NOT_SENT);
  const box = useRef<HTMLTextAreaElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const labelId = useId();

  useEffect(() => {
    if (draft !== null) box.current?.focus();
  }, [draft !== null]); // eslint-disable-line react-hooks/exhaustive-deps

  function close() {
    setDraft(null);
    requestAnimationFrame(() => editButton.current?.focus());
  }

  async function resend() {
    const next = draft?.trim();
    if (!next || sending) return;
    // Refused: the composer's error line says why; the edit stays for another try.
    if (await send(next)) setDraft(null);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (isSendKey(e)) {
      e.preventDefault();
      void resend();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  }

  if (draft !== null) {
    return (
      <form
        className="bubble user editing"
        id={id}
        tabIndex={-1}
        aria-labelledby={labelId}
        onSubmit={(e) => {
          e.preventDefault();
          void resend();
        }}
      >
        <span id={labelId} className="visually-hidden">Edit the question</span>
        <textarea ref={box} aria-label="Edited question" value={draft} maxLength={MAX_MESSAGE_CHARS} rows={3} readOnly={sending} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKeyDown} />
        <div className="form-actions">
          <button type="submit" className="small primary" disabled={sending || !draft.trim()}>{sending ? 'Sending…' : 'Send as new question'}</button>
          <button type="button" className="small" onClick={close}>Cancel</button>
        </div>
      </form>
    );
  }
  return (
    <div className="bubble-row">
      <div className="bubble user" id={id} tabIndex={-1}>{text}</div>
      {onResend && <button ref={editButton} type="button" className="icon-button question-edit" aria-label="Edit and resend this question" title="Edit and resend" onClick={() => setDraft(text)}>
        <PencilIcon />
      </button>}
    </div>
  );
}

/** A read-only bubble's sender: it is never called (no editor is offered). */
const NOT_SENT = async () => undefined;
