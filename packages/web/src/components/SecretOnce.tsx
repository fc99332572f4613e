import { useState } from 'react';

export interface SecretOnceProps {
  label: string;
  secret: string;
  warning: string;
  onDismiss(): void;
}

/** A secret the server shows only once (an API key, a reset token), with a copy button. */
export function SecretOnce({ label, secret, warning, onDismiss }: SecretOnceProps) {
  const [copied, setCopied] = useState<boolean | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard permission (or plain http): the text is selectable
    }
  }
  return (
    <div className="secret-once notice" role="region" aria-label={label}>
      <p><strong>{label}</strong></p>
      <p className="secret-warning">{warning}</p>
      <div className="secret-row">
        <input className="secret-value" readOnly value={secret} aria-label={`${label}, secret`} onFocus={(e) => e.target.select()} />
        <button type="button" className="small" onClick={() => void copy()}>Copy</button>
        <button type="button" className="small" onClick={onDismiss}>Done</button>
      </div>
      {copied !== null && (
        <p className={copied ? 'good' : 'error'} role="status">{copied ? 'Copied.' : 'Copying is not allowed here; select the text and copy it.'}</p>
      )}
    </div>
  );
}
