import { useEffect, useRef, useState } from 'react';

export interface ConfirmButtonProps {
  /** The first button's text ("Revoke"). */
  label: string;
  /** Its accessible name when the text alone is ambiguous in a list ("Revoke key nightly"). */
  ariaLabel?: string;
  /** The question beside the confirming button ("Revoke this key?"). */
  question: string;
  confirmLabel: string;
  disabled?: boolean;
  onConfirm(): void;
}

/**
 * A destructive action in two steps, inline: the button turns into a question with Confirm and
 * Cancel, focus on Cancel, so a stray Enter does not destroy anything.
 */
export function ConfirmButton({ label, ariaLabel, question, confirmLabel, disabled, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className="small danger" disabled={disabled} aria-label={ariaLabel} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="small danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="small" ref={cancel} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
