import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS } from '@tally/protocol';
import { isSendKey, useSendText } from './use-send-text.js';

export interface ComposerProps {
  /** Sends the text; resolves once the server took it (the box is cleared then), rejects to keep it. */
  onSend: (text: string) => Promise<void>;
  /** A run of this thread is going: a new message waits for it (the `queue` busy policy). */
  busy: boolean;
  error: string | null;
}

/** The message box: Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, busy, error }: ComposerProps) {
  const [text, setText] = useState('');
  const sender = useSendText(onSend);
  const sending = sender.sending;
  const hintId = useId();
  const canSend = !sending && text.trim() !== '';

  async function send() {
    if (!canSend) return;
    // Refused: the parent shows the error; the text stays for another try.
    if (await sender.send(text)) setText('');
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (isSendKey(e)) {
      e.preventDefault();
      void send();
    }
  }

  return (
    <form
      className="composer"
      aria-label="Ask"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void send();
      }}
    >
      <div className="composer-row">
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder="Ask about your AI usage and spend"
          maxLength={MAX_MESSAGE_CHARS}
          rows={2}
          aria-label="Message"
          aria-describedby={hintId}
          readOnly={sending}
        />
        <button type="submit" className="primary" disabled={!canSend}>
          {sending ? 'Sending…' : busy ? 'Queue' : 'Send'}
        </button>
      </div>
      <p id={hintId} className="composer-hint muted">
        {busy ? 'A run is in progress: your message will run after it. ' : ''}Enter to send, Shift+Enter for a new line.
      </p>
      {error && <p className="error composer-error" role="alert">{error}</p>}
    </form>
  );
}
